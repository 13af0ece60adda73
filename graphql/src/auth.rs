//! Bearer tokens (JWT, HS256, with expiry), roles, and password hashing.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use async_graphql::Enum;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::capture_secret::CaptureSecrets;

/// How long a token is valid after sign-in.
pub const TOKEN_LIFETIME_SECONDS: i64 = 60 * 60;
/// Shortest accepted `JWT_SECRET`, in bytes: HS256 wants a key at least as
/// long as its hash.
pub(crate) const SECRET_BYTES_MIN: usize = 32;

/// A user's role, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// Configures the platform.
    Admin,
    /// Sells and buys.
    User,
    /// Reads everything, changes nothing.
    Accountant,
}

impl From<dropledger_domain::Role> for Role {
    fn from(role: dropledger_domain::Role) -> Self {
        match role {
            dropledger_domain::Role::Admin => Role::Admin,
            dropledger_domain::Role::User => Role::User,
            dropledger_domain::Role::Accountant => Role::Accountant,
        }
    }
}

impl From<Role> for dropledger_domain::Role {
    fn from(role: Role) -> Self {
        match role {
            Role::Admin => dropledger_domain::Role::Admin,
            Role::User => dropledger_domain::Role::User,
            Role::Accountant => dropledger_domain::Role::Accountant,
        }
    }
}

/// What a token says about its bearer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: Uuid,
    /// The role when the token was issued.
    pub role: Role,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expires at, seconds since the epoch.
    pub exp: i64,
}

/// The HS256 key that signs and checks tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    capture: CaptureSecrets,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(..)")
    }
}

impl TokenKeys {
    /// Keys from `JWT_SECRET`; refuses a secret shorter than 32 bytes.
    pub fn from_secret(secret: &[u8]) -> Result<Self, String> {
        if secret.len() < SECRET_BYTES_MIN {
            return Err(format!(
                "JWT_SECRET must be at least {SECRET_BYTES_MIN} bytes, got {}",
                secret.len()
            ));
        }
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            capture: CaptureSecrets::derive(secret),
        })
    }

    /// A random secret for local runs: tokens die with the process.
    pub fn generate() -> Self {
        let secret: [u8; 32] = rand::random();
        Self::from_secret(&secret).expect("32 random bytes are long enough")
    }

    /// A signed token for `user_id` in `role`, valid for [`TOKEN_LIFETIME_SECONDS`].
    pub fn issue(&self, user_id: Uuid, role: Role) -> String {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id,
            role,
            iat: now,
            exp: now + TOKEN_LIFETIME_SECONDS,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing of plain claims cannot fail")
    }

    /// The capture secrets of checkouts, keyed by the same secret.
    pub(crate) fn capture_secrets(&self) -> &CaptureSecrets {
        &self.capture
    }

    /// The claims of a valid, unexpired HS256 token.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .ok()
            .map(|data| data.claims)
    }
}

/// An argon2id PHC string of `password` with a fresh salt. CPU-heavy: run
/// it off the async workers.
pub(crate) fn hash_password(password: &str) -> String {
    let salt =
        SaltString::encode_b64(&rand::random::<[u8; 16]>()).expect("16 bytes is a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any password")
        .to_string()
}

/// Whether `password` matches the stored PHC string.
pub(crate) fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}
