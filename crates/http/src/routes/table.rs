//! The route table. A route is declared once: its method and path in the
//! handler's `#[utoipa::path]`, and one [`Routes::add`] line that names the
//! handler. The actix resources (with the 405 `Allow` list of each path)
//! and the paths of the OpenAPI document are both built from this table,
//! so the server and its document cannot disagree about which routes
//! exist.
//!
//! Each path becomes one actix resource holding a route per method, so a
//! method a path does not serve is answered by that resource's 405 (and
//! counted under the path's pattern in the metrics), never by the 404 of
//! an unknown path.

use actix_web::Route;
use actix_web::guard::{Guard, GuardContext};
use actix_web::http::Method;
use actix_web::web::{ServiceConfig, resource};
use utoipa::openapi::path::{HttpMethod, Operation, PathItem};
use utoipa::openapi::{OpenApi, RefOr, Schema};

use super::method_not_allowed;

/// The schemas an operation refers to (utoipa's own collector, the one
/// `#[derive(OpenApi)]` and `utoipa-actix-web` use).
type Schemas = Vec<(String, RefOr<Schema>)>;

struct Entry {
    path: String,
    methods: Vec<HttpMethod>,
    route: Route,
    operation: fn() -> Operation,
    tags: fn() -> Vec<&'static str>,
    schemas: fn(&mut Schemas),
}

/// Every route of the API with its documentation, in declaration order.
#[derive(Default)]
pub struct Routes(Vec<Entry>);

impl Routes {
    /// Adds `route` (a handler, possibly wrapped, with no method guard) at
    /// the path and methods its `#[utoipa::path]` declares: pass the
    /// `__path_<handler>` type that attribute generates, e.g.
    /// `r.add(__path_get, web::to(get))`.
    pub fn add<P>(&mut self, _documented_by: P, route: Route) -> &mut Self
    where
        P: utoipa::Path + utoipa::__dev::SchemaReferences + utoipa::__dev::Tags<'static>,
    {
        let methods = P::methods();
        let guard = MethodIn(methods.iter().map(actix_method).collect());
        self.0.push(Entry {
            path: P::path(),
            route: route.guard(guard),
            methods,
            operation: P::operation,
            tags: P::tags,
            schemas: P::schemas,
        });
        self
    }

    /// Registers one resource per path, each answering the methods it does
    /// not serve with 405 and an `Allow` header listing those it does.
    pub fn register(self, cfg: &mut ServiceConfig) {
        for (path, entries) in self.by_path() {
            let allow = entries
                .iter()
                .flat_map(|e| e.methods.iter().map(|m| actix_method(m).to_string()))
                .collect::<Vec<_>>()
                .join(", ");
            let mut res = resource(path);
            for entry in entries {
                res = res.route(entry.route);
            }
            cfg.service(res.default_service(method_not_allowed(allow)));
        }
    }

    /// Adds every path, operation and the schemas they refer to to `doc`.
    pub fn document(self, doc: &mut OpenApi) {
        let mut schemas = Schemas::new();
        for entry in self.0 {
            let mut operation = (entry.operation)();
            let tags = (entry.tags)();
            if !tags.is_empty() {
                operation
                    .tags
                    .get_or_insert_with(Vec::new)
                    .extend(tags.into_iter().map(str::to_owned));
            }
            dedupe_parameters(&mut operation);
            (entry.schemas)(&mut schemas);
            let item = PathItem::from_http_methods(entry.methods, operation);
            match doc.paths.paths.get_mut(&entry.path) {
                Some(existing) => existing.merge_operations(item),
                None => {
                    doc.paths.paths.insert(entry.path, item);
                }
            }
        }
        let components = doc.components.get_or_insert_with(Default::default);
        for (name, schema) in schemas {
            components.schemas.entry(name).or_insert(schema);
        }
    }

    /// The entries grouped by path, paths in order of first declaration.
    fn by_path(self) -> Vec<(String, Vec<Entry>)> {
        let mut groups: Vec<(String, Vec<Entry>)> = Vec::new();
        for entry in self.0 {
            match groups.iter_mut().find(|(path, _)| *path == entry.path) {
                Some((_, entries)) => entries.push(entry),
                None => groups.push((entry.path.clone(), vec![entry])),
            }
        }
        groups
    }
}

/// Keeps the first description of each parameter: with `actix_extras`,
/// utoipa adds its own for an id read as `web::Path<String>`, after the
/// documented one (a positive integer).
fn dedupe_parameters(operation: &mut Operation) {
    if let Some(parameters) = operation.parameters.as_mut() {
        let mut seen = Vec::new();
        parameters.retain(|p| {
            let key = (p.name.clone(), p.parameter_in.clone());
            let first = !seen.contains(&key);
            seen.push(key);
            first
        });
    }
}

/// Matches the methods of one operation.
struct MethodIn(Vec<Method>);

impl Guard for MethodIn {
    fn check(&self, ctx: &GuardContext<'_>) -> bool {
        self.0.contains(&ctx.head().method)
    }
}

fn actix_method(method: &HttpMethod) -> Method {
    match method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Options => Method::OPTIONS,
        HttpMethod::Trace => Method::TRACE,
    }
}
