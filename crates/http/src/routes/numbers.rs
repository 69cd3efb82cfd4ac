//! `/v1/phone-numbers` (API.md §1–§9).

use actix_web::{HttpRequest, HttpResponse, web};
use thunderphone_app::NumberUpdateMode;
use thunderphone_domain::PhoneNumberId;

use super::{Reply, with_etag};
use crate::dto::numbers::{
    ImportedNumbers, LIST_PARAMS, NumberFilterParams, PhoneNumberDto, PhoneNumberList,
    ProvisionBody, ProvisionedDto, ReplaceBody, TransferBody, UpdateBody, VerifiedDto, VersionDto,
    VersionList, list_filter,
};
use crate::dto::page::{CursorScope, list_request};
use crate::dto::params::{IfMatchParam, PageParams, PhoneNumberPath};
use crate::extract::{
    BearerKey, Caller, IfMatchHeader, IgnoredBody, JsonBody, QueryParams, admit, authenticate,
    path_id,
};
use crate::problem::Problem;
use crate::{HttpState, idempotent};

const NUMBER: &str = "phone number";

/// The routes of this module.
pub fn routes(r: &mut super::Routes) {
    use thunderphone_app::Action;
    use web::to;
    r.add(__path_list, to(list))
        .add(
            __path_provision,
            idempotent(to(provision), |_| Some(Action::ProvisionNumber)),
        )
        .add(__path_get, to(get))
        .add(__path_put, to(put))
        .add(__path_patch, to(patch))
        .add(__path_delete, to(delete))
        .add(__path_transfer, idempotent(to(transfer), transfer_action))
        .add(__path_versions, to(versions))
        .add(
            __path_verify,
            idempotent(to(verify), |_| Some(Action::VerifyNumber)),
        );
}

fn number_id(raw: &str) -> Result<PhoneNumberId, Problem> {
    path_id(raw, NUMBER)
}

/// Answers a request that is invalid in itself with `problem`, once its key
/// is authenticated and admitted: a bad key is still a 401 and an
/// exhausted limit a 429, whatever else is wrong with the request.
async fn refuse_authenticated(
    req: &HttpRequest,
    state: &HttpState,
    key: &BearerKey,
    problem: Problem,
) -> Reply {
    authenticate(req, state, &key.0).await?;
    Err(problem)
}

/// List phone numbers, newest first.
#[utoipa::path(get, path = "/v1/phone-numbers", operation_id = "list_phone_numbers", tag = "phone-numbers",
    params(PageParams, NumberFilterParams),
    responses((status = 200, description = "One page", body = PhoneNumberList)),
    security(("api_key" = [])))]
pub async fn list(state: web::Data<HttpState>, key: BearerKey, req: HttpRequest) -> Reply {
    let parsed = QueryParams::parse(req.query_string(), LIST_PARAMS).and_then(|query| {
        let filter = list_filter(&query)?;
        let (page, cursor) = list_request(&query)?;
        Ok((query, filter, page, cursor))
    });
    let (query, filter, page, cursor) = match parsed {
        Ok(parsed) => parsed,
        Err(invalid) => return refuse_authenticated(&req, &state, &key, invalid).await,
    };
    let read = state.app.list_numbers_for_key(&key.0, filter, page).await?;
    admit(&req, &state, &read.principal).await?;
    // The org is known only now: a cursor issued elsewhere gets nothing.
    let scope = CursorScope::new("phone-numbers", read.principal.org_id, &query);
    if let Some(cursor) = &cursor {
        state.cursors.check(cursor, &scope)?;
    }
    let page = read.value;
    Ok(HttpResponse::Ok().json(PhoneNumberList {
        data: page.items.iter().map(PhoneNumberDto::from).collect(),
        next_cursor: page
            .next
            .map(|next| state.cursors.encode_list(next, &scope)),
    }))
}

/// Provision a number from the pool. The number is reserved at once and
/// activated in the background (`status` becomes `active`, or `failed`).
#[utoipa::path(post, path = "/v1/phone-numbers", operation_id = "provision_phone_number", tag = "phone-numbers",
    request_body(content = Option<ProvisionBody>, description = "Preferences; the body may be empty (no preference)"),
    responses(
        (status = 201, description = "Reserved; `Location` names it", body = ProvisionedDto,
            headers(("Location" = String, description = "/v1/phone-numbers/{id}"), ("ETag" = String, description = "\"<version>\""))),
        (status = 409, description = "`no_numbers_available`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid area code, city or state", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])))]
pub async fn provision(
    state: web::Data<HttpState>,
    caller: Caller,
    body: JsonBody<ProvisionBody>,
) -> Reply {
    let request = body.0.into_request()?;
    let provisioned = state.app.provision(&caller.0, request).await?;
    let mut builder = HttpResponse::Created();
    builder.insert_header((
        "Location",
        format!("/v1/phone-numbers/{}", provisioned.number.id()),
    ));
    Ok(with_etag(
        builder,
        &provisioned.number,
        &ProvisionedDto::new(&provisioned.number, provisioned.matched_on),
    ))
}

/// Retrieve a number.
#[utoipa::path(get, path = "/v1/phone-numbers/{phone_number_id}", operation_id = "get_phone_number", tag = "phone-numbers",
    params(PhoneNumberPath),
    responses((status = 200, description = "The number", body = PhoneNumberDto, headers(("ETag" = String, description = "\"<version>\"")))),
    security(("api_key" = [])))]
pub async fn get(
    state: web::Data<HttpState>,
    key: BearerKey,
    req: HttpRequest,
    path: web::Path<String>,
) -> Reply {
    let id = match number_id(&path) {
        Ok(id) => id,
        Err(not_found) => return refuse_authenticated(&req, &state, &key, not_found).await,
    };
    let read = state.app.get_number_for_key(&key.0, id).await?;
    admit(&req, &state, &read.principal).await?;
    let number = read.value?;
    Ok(with_etag(
        HttpResponse::Ok(),
        &number,
        &PhoneNumberDto::from(&number),
    ))
}

async fn update(
    state: web::Data<HttpState>,
    caller: Caller,
    path: web::Path<String>,
    if_match: IfMatchHeader,
    body: UpdateBody,
    mode: NumberUpdateMode,
) -> Reply {
    let id = number_id(&path)?;
    let update = body.into_update(mode)?;
    let number = state
        .app
        .update_number(&caller.0, id, update, if_match.0)
        .await?;
    Ok(with_etag(
        HttpResponse::Ok(),
        &number,
        &PhoneNumberDto::from(&number),
    ))
}

/// Replace agents (both fields required, each may be `null`) and optionally the status.
#[utoipa::path(put, path = "/v1/phone-numbers/{phone_number_id}", operation_id = "replace_phone_number", tag = "phone-numbers",
    params(PhoneNumberPath, IfMatchParam),
    request_body = ReplaceBody,
    responses(
        (status = 200, description = "Updated (or unchanged)", body = PhoneNumberDto, headers(("ETag" = String, description = "\"<version>\""))),
        (status = 409, description = "`invalid_status_transition`", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`precondition_failed`: stale `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed` or `invalid_agent`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])))]
pub async fn put(
    state: web::Data<HttpState>,
    caller: Caller,
    path: web::Path<String>,
    if_match: IfMatchHeader,
    body: JsonBody<UpdateBody>,
) -> Reply {
    update(
        state,
        caller,
        path,
        if_match,
        body.0,
        NumberUpdateMode::Replace,
    )
    .await
}

/// Change only the fields sent: agents (`null` clears) and/or status (`active` ⇄ `released`).
#[utoipa::path(patch, path = "/v1/phone-numbers/{phone_number_id}", operation_id = "update_phone_number", tag = "phone-numbers",
    params(PhoneNumberPath, IfMatchParam),
    request_body(content = Option<UpdateBody>, description = "The fields to change; an empty body changes nothing"),
    responses(
        (status = 200, description = "Updated (or unchanged)", body = PhoneNumberDto, headers(("ETag" = String, description = "\"<version>\""))),
        (status = 409, description = "`invalid_status_transition`", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`precondition_failed`: stale `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed` or `invalid_agent`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])))]
pub async fn patch(
    state: web::Data<HttpState>,
    caller: Caller,
    path: web::Path<String>,
    if_match: IfMatchHeader,
    body: JsonBody<UpdateBody>,
) -> Reply {
    update(
        state,
        caller,
        path,
        if_match,
        body.0,
        NumberUpdateMode::Merge,
    )
    .await
}

/// Release the number from the org: later reads are 404, history is kept.
#[utoipa::path(delete, path = "/v1/phone-numbers/{phone_number_id}", operation_id = "delete_phone_number", tag = "phone-numbers",
    params(PhoneNumberPath, IfMatchParam),
    responses(
        (status = 204, description = "Removed; a second DELETE is a 404"),
        (status = 412, description = "`precondition_failed`: stale `If-Match`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])))]
pub async fn delete(
    state: web::Data<HttpState>,
    caller: Caller,
    path: web::Path<String>,
    if_match: IfMatchHeader,
    _body: IgnoredBody,
) -> Reply {
    state
        .app
        .delete_number(&caller.0, number_id(&path)?, if_match.0)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Move a number to another org (admin+ in both). Agents are cleared; a VoIP
/// number is relinked and must be verified again.
#[utoipa::path(post, path = "/v1/phone-numbers/{phone_number_id}/transfer", operation_id = "transfer_phone_number", tag = "phone-numbers",
    params(PhoneNumberPath, IfMatchParam),
    request_body = TransferBody,
    responses(
        (status = 200, description = "Moved; `org_id` is the target", body = PhoneNumberDto, headers(("ETag" = String, description = "\"<version>\""))),
        (status = 403, description = "Not admin+ in both orgs", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Only `active` or `released` numbers move", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`precondition_failed`: stale `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Same org, or a missing/foreign target connection", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])))]
pub async fn transfer(
    state: web::Data<HttpState>,
    caller: Caller,
    path: web::Path<String>,
    if_match: IfMatchHeader,
    body: JsonBody<TransferBody>,
) -> Reply {
    let id = number_id(&path)?;
    let request = body.0.into_request()?;
    let number = state
        .app
        .transfer_number(&caller.0, id, request, if_match.0)
        .await?;
    Ok(with_etag(
        HttpResponse::Ok(),
        &number,
        &PhoneNumberDto::from(&number),
    ))
}

/// What a transfer asks for, from its raw body: the target org decides
/// who may make it. `None` for a body the handler refuses anyway.
pub fn transfer_action(body: &[u8]) -> Option<thunderphone_app::Action> {
    let request = serde_json::from_slice::<TransferBody>(body)
        .ok()?
        .into_request()
        .ok()?;
    Some(thunderphone_app::Action::TransferNumber {
        target_org_id: request.target_org_id,
    })
}

/// The number's recorded changes while the caller's org held it, newest first.
#[utoipa::path(get, path = "/v1/phone-numbers/{phone_number_id}/versions", operation_id = "list_phone_number_versions", tag = "phone-numbers",
    params(PhoneNumberPath, PageParams),
    responses((status = 200, description = "One page", body = VersionList)),
    security(("api_key" = [])))]
pub async fn versions(
    state: web::Data<HttpState>,
    caller: Caller,
    path: web::Path<String>,
    req: HttpRequest,
) -> Reply {
    let id = number_id(&path)?;
    let query = QueryParams::parse(req.query_string(), &["limit", "cursor"])?;
    let scope = CursorScope::new(&format!("versions:{id}"), caller.0.org_id, &query);
    let page = state
        .app
        .list_versions(
            &caller.0,
            id,
            state.cursors.version_request(&query, &scope)?,
        )
        .await?;
    Ok(HttpResponse::Ok().json(VersionList {
        data: page.items.iter().map(VersionDto::from).collect(),
        next_cursor: page
            .next
            .map(|next| state.cursors.encode_version(next, &scope)),
    }))
}

/// Run the end-to-end VoIP check through the number's connection.
#[utoipa::path(post, path = "/v1/phone-numbers/{phone_number_id}/verify-voip", operation_id = "verify_phone_number", tag = "phone-numbers",
    params(PhoneNumberPath),
    responses(
        (status = 200, description = "The number and the checks; `verification.result` says whether it passed", body = VerifiedDto, headers(("ETag" = String, description = "\"<version>\""))),
        (status = 409, description = "`not_verifiable` (demo or no connection) or `invalid_status_transition` (released)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store cannot be reached, or this instance already has `THUNDERPHONE_OUTBOUND_CONCURRENCY` verifications in flight; nothing was changed", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u32, description = "Seconds to wait before retrying"))),
    ),
    security(("api_key" = [])))]
pub async fn verify(
    state: web::Data<HttpState>,
    caller: Caller,
    path: web::Path<String>,
    _body: IgnoredBody,
) -> Reply {
    let verified = state
        .app
        .verify_number(&caller.0, number_id(&path)?)
        .await?;
    state
        .metrics
        .observe_verification(verified.verification.passed);
    let body = VerifiedDto {
        number: (&verified.number).into(),
        verification: (&verified.verification).into(),
    };
    Ok(with_etag(HttpResponse::Ok(), &verified.number, &body))
}

/// Keeps `ImportedNumbers` referenced from here for the connection routes.
pub(crate) fn imported(numbers: &[thunderphone_domain::PhoneNumber]) -> ImportedNumbers {
    ImportedNumbers {
        data: numbers.iter().map(PhoneNumberDto::from).collect(),
    }
}
