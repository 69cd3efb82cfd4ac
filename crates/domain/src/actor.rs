use crate::{ApiKeyId, UserId};

/// Who made a change: the user and the API key they acted with.
/// Changes made by the system (provider callbacks) have no actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Actor {
    /// The user behind the key.
    pub user_id: UserId,
    /// The key the request carried.
    pub api_key_id: ApiKeyId,
}
