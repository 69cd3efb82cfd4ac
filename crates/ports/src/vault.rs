use thunderphone_domain::VoipCredentials;

/// Credentials as stored: ciphertext and the id of the key that sealed
/// it, so keys can be rotated without losing what older keys sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedCredentials {
    /// Which key sealed it.
    pub key_id: String,
    /// Nonce and ciphertext (authenticated).
    pub ciphertext: Vec<u8>,
}

impl std::fmt::Debug for SealedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedCredentials")
            .field("key_id", &self.key_id)
            .field("bytes", &self.ciphertext.len())
            .finish()
    }
}

/// Why credentials could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// No key is configured: credentials are not stored in the clear.
    #[error("credential storage is not configured: set THUNDERPHONE_SECRET_KEY")]
    NoKey,
    /// The key that sealed these credentials is not configured any more.
    #[error("credentials were sealed with key `{0}`, which is not configured")]
    UnknownKey(String),
    /// The ciphertext does not authenticate (tampered or wrong key).
    #[error("stored credentials cannot be decrypted")]
    Corrupt,
    /// The credentials decrypt, but a value (the named field, e.g.
    /// `credentials.username`) was stored before today's rules and breaks
    /// them; it must not be used. The customer recreates the connection.
    #[error("the stored {0} is not accepted any more")]
    Outdated(&'static str),
}

/// Encrypts credentials before they are stored and decrypts them for the
/// verifier. The application seals; stores only ever see ciphertext.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait CredentialVault: Send + Sync {
    /// Seals under the current key.
    ///
    /// # Errors
    /// [`VaultError::NoKey`] when no key is configured.
    fn seal(&self, credentials: &VoipCredentials) -> Result<SealedCredentials, VaultError>;

    /// Opens credentials sealed under any configured key.
    ///
    /// # Errors
    /// [`VaultError::UnknownKey`] or [`VaultError::Corrupt`];
    /// [`VaultError::Outdated`] when a stored value breaks today's rules.
    fn open(&self, sealed: &SealedCredentials) -> Result<VoipCredentials, VaultError>;

    /// Seals the same plaintext under the current key without reading it,
    /// so rotation never depends on whether the values are still valid.
    ///
    /// # Errors
    /// [`VaultError::NoKey`], [`VaultError::UnknownKey`] or
    /// [`VaultError::Corrupt`].
    fn reseal(&self, sealed: &SealedCredentials) -> Result<SealedCredentials, VaultError>;

    /// Seals a webhook signing secret under the current key. Sealed for
    /// that purpose only: it cannot be opened as credentials, nor
    /// credentials as a secret.
    ///
    /// # Errors
    /// [`VaultError::NoKey`] when no key is configured.
    fn seal_webhook_secret(&self, secret: &[u8]) -> Result<SealedCredentials, VaultError>;

    /// Opens a webhook signing secret sealed under any configured key.
    ///
    /// # Errors
    /// [`VaultError::UnknownKey`] or [`VaultError::Corrupt`].
    fn open_webhook_secret(&self, sealed: &SealedCredentials) -> Result<Vec<u8>, VaultError>;

    /// Seals a webhook signing secret under the current key without
    /// handing it out: what a key rotation does to each stored secret.
    ///
    /// # Errors
    /// [`VaultError::NoKey`], [`VaultError::UnknownKey`] or
    /// [`VaultError::Corrupt`].
    fn reseal_webhook_secret(
        &self,
        sealed: &SealedCredentials,
    ) -> Result<SealedCredentials, VaultError>;

    /// The id of the key new credentials are sealed with, if any.
    fn current_key_id(&self) -> Option<String>;
}
