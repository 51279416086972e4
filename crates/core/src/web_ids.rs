//! The retailer API's ids (`retailer-api.apib.md`): string web ids (`5036bsneh4170`) that are
//! stable per record and made from the account, a keyed check and the record's id, so one
//! account's ids never name another's records; and templates' UUID-like internal ids.

use sha2::{Digest, Sha256};

/// The web id of record `id` of the account: four digits of the account, five check letters, the id.
pub fn web_id(account_id: i64, id: i64) -> String {
    let digest = Sha256::digest(format!("switchboard-web-id:{account_id}:{id}").as_bytes());
    let letters: String = digest.iter().take(5).map(|b| char::from(b'a' + b % 26)).collect();
    format!("{:04}{letters}{id}", account_id.rem_euclid(10_000))
}

/// The record id a web id names in this account, if it is one of the account's.
pub fn parse_web_id(account_id: i64, raw: &str) -> Option<i64> {
    let raw = raw.trim();
    let id: i64 = raw.get(9..)?.parse().ok()?;
    (id > 0 && web_id(account_id, id) == raw).then_some(id)
}

/// A template's `internal_id`: shaped as a UUID, stable per template, made from the account and
/// the template's row.
pub fn template_internal_id(account_id: i64, template_id: i64) -> String {
    let h = hex::encode(Sha256::digest(format!("switchboard-template:{account_id}:{template_id}").as_bytes()));
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}
