//! OpenAPI links from each create operation to the operations that take
//! the id it returns, so a client (or a stateful test) can chain create →
//! read → update → delete. Derived from the paths: a `POST /things`
//! answering 201 links to every operation under `/things/{thing_id}`, with
//! `thing_id` taken from the created object's `id`. A new resource gets its
//! links by following the same path shape.
//!
//! Added to the JSON document rather than through utoipa, whose `Link`
//! serialises its members in snake case (`operation_id`), which OpenAPI
//! tools do not read.

use serde_json::{Value, json};

/// Adds the links to `doc`.
pub fn add(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let targets: Vec<(String, String, String)> = paths
        .iter()
        .filter_map(|(path, item)| {
            let (collection, rest) = path.split_once("/{")?;
            let (param, _) = rest.split_once('}')?;
            Some((collection.to_owned(), param.to_owned(), item))
        })
        .flat_map(|(collection, param, item)| {
            operation_ids(item)
                .into_iter()
                .map(move |id| (collection.clone(), param.clone(), id))
        })
        .collect();
    for (path, item) in paths.iter_mut() {
        let Some(created) = item.pointer_mut("/post/responses/201") else {
            continue;
        };
        let links: serde_json::Map<String, Value> = targets
            .iter()
            .filter(|(collection, _, _)| collection == path)
            .map(|(_, param, operation_id)| {
                (
                    operation_id.clone(),
                    json!({
                        "operationId": operation_id,
                        "parameters": { param.as_str(): "$response.body#/id" },
                        "description": format!("`{param}` is the created object's `id`"),
                    }),
                )
            })
            .collect();
        if !links.is_empty()
            && let Some(created) = created.as_object_mut()
        {
            created.insert("links".to_owned(), Value::Object(links));
        }
    }
}

fn operation_ids(item: &Value) -> Vec<String> {
    item.as_object()
        .into_iter()
        .flatten()
        .filter_map(|(_, operation)| operation.get("operationId")?.as_str())
        .map(str::to_owned)
        .collect()
}
