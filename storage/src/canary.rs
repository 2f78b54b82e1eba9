//! The sealing canary: proof at start that the configured master keys open
//! what this database holds sealed, so a wrong key stops the start instead
//! of failing the first request that reads a private key.

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait as _, QuerySelect as _, Set};
use signet_domain::{KeyId, TenantId};

use crate::connect::Storage;
use crate::entities::{dkim_key, dns_publisher, sealing_canary};
use crate::errors::StorageError;
use crate::keys::aad;
use crate::sealing::{Keyring, SealError};

/// The canary's row id: there is only one.
const CANARY_ID: i32 = 1;
/// Binds the canary's ciphertext to its purpose.
const CANARY_AAD: &[u8] = b"signet/sealing_canary/v1";
/// What is sealed: its content does not matter, only that it opens.
const CANARY_PLAINTEXT: &[u8] = b"signet sealing canary";

impl Storage {
    /// Refuses a keyring that cannot open what the database holds sealed:
    /// the canary, every master key id a DKIM key or a TSIG secret is sealed under, and (in a
    /// database sealed before the canary existed) one sealed DKIM key. Then
    /// writes the canary under the current master key when there is none yet
    /// or it was sealed under an older key. Run it after [`Storage::migrate`].
    pub async fn check_master_key(&self) -> Result<(), StorageError> {
        let keyring = self.keyring();
        let canary = sealing_canary::Entity::find_by_id(CANARY_ID)
            .one(self.db())
            .await
            .map_err(StorageError::Canary)?;
        if let Some(row) = &canary {
            opens(keyring, &row.kid, &row.sealed, CANARY_AAD)?;
        }
        // After a rotation the canary moves to the new key while keys sealed
        // under the old one remain: those still need it in the keyring.
        let mut kids: Vec<String> = dkim_key::Entity::find()
            .select_only()
            .column(dkim_key::Column::PrivateKeyKid)
            .distinct()
            .into_tuple()
            .all(self.db())
            .await
            .map_err(StorageError::Canary)?;
        // Publishers' TSIG secrets are sealed the same way.
        let tsig_kids: Vec<String> = dns_publisher::Entity::find()
            .select_only()
            .column(dns_publisher::Column::TsigSecretKid)
            .distinct()
            .into_tuple()
            .all(self.db())
            .await
            .map_err(StorageError::Canary)?;
        kids.extend(tsig_kids);
        if let Some(needed) = kids
            .into_iter()
            .find(|kid| !keyring.ids().any(|id| id == kid))
        {
            return Err(wrong_key(keyring, needed));
        }
        match canary {
            Some(row) if row.kid == keyring.current_id() => return Ok(()),
            Some(_) => {}
            None => {
                let row = dkim_key::Entity::find()
                    .one(self.db())
                    .await
                    .map_err(StorageError::Canary)?;
                if let Some(row) = row {
                    let aad = aad(TenantId(row.tenant_id), KeyId(row.id));
                    opens(keyring, &row.private_key_kid, &row.private_key_sealed, &aad)?;
                }
            }
        }
        self.write_canary().await
    }

    /// Seals the canary under the current master key, replacing any other.
    async fn write_canary(&self) -> Result<(), StorageError> {
        let keyring = self.keyring();
        let sealed = keyring
            .seal(CANARY_PLAINTEXT, CANARY_AAD)
            .map_err(StorageError::Seal)?;
        let row = sealing_canary::ActiveModel {
            id: Set(CANARY_ID),
            sealed: Set(sealed.bytes),
            kid: Set(sealed.kid),
            sealed_at: Set(Utc::now()),
        };
        // Two nodes starting together both write; either canary is good.
        let upsert = OnConflict::column(sealing_canary::Column::Id)
            .update_columns([
                sealing_canary::Column::Sealed,
                sealing_canary::Column::Kid,
                sealing_canary::Column::SealedAt,
            ])
            .to_owned();
        sealing_canary::Entity::insert(row)
            .on_conflict(upsert)
            .exec(self.db())
            .await
            .map_err(StorageError::Canary)?;
        tracing::info!(kid = keyring.current_id(), "sealing canary written");
        Ok(())
    }
}

/// Opens a sealed value only to see that it opens; the plaintext is dropped
/// (and wiped) at once.
fn opens(keyring: &Keyring, kid: &str, sealed: &[u8], aad: &[u8]) -> Result<(), StorageError> {
    match keyring.open(kid, sealed, aad) {
        Ok(_) => Ok(()),
        Err(SealError::UnknownKey(needed)) => Err(wrong_key(keyring, needed)),
        Err(_) => Err(StorageError::SealedValueCorrupt(kid.to_owned())),
    }
}

fn wrong_key(keyring: &Keyring, needed: String) -> StorageError {
    StorageError::WrongMasterKey {
        needed,
        configured: keyring.ids().collect::<Vec<_>>().join(", "),
    }
}
