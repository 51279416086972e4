//! Users, their roles in accounts, and what each role may do.

use crate::ValidationError;

/// A user's role within one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow), diesel(sql_type = diesel::sql_types::Text))]
pub enum Role {
    Agent,
    Administrator,
}

impl Role {
    pub fn parse(field: &str, raw: &str) -> Result<Self, ValidationError> {
        match raw.trim() {
            "agent" => Ok(Self::Agent),
            "administrator" => Ok(Self::Administrator),
            _ => Err(ValidationError::new(field, "inclusion", "must be agent or administrator")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "agent",
            Self::Administrator => "administrator",
        }
    }

    /// Inboxes, agents, teams, labels and account settings are managed by administrators only.
    pub fn can_administer(self) -> bool {
        self == Self::Administrator
    }

    /// Administrators see every inbox of the account; agents only those they are members of.
    pub fn sees_all_inboxes(self) -> bool {
        self == Self::Administrator
    }

    /// The role a stored value names (the column is CHECK-constrained to these).
    pub fn from_column(raw: &str) -> Option<Self> {
        match raw {
            "agent" => Some(Self::Agent),
            "administrator" => Some(Self::Administrator),
            _ => None,
        }
    }
}

crate::text_columns!(Role);

/// An agent's availability, as the dashboard shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    Online,
    Busy,
    Offline,
}

impl Availability {
    /// The reference stores online/busy/offline; its OpenAPI document says "available" for online,
    /// so both spellings are accepted.
    pub fn parse(field: &str, raw: &str) -> Result<Self, ValidationError> {
        match raw.trim() {
            "online" | "available" => Ok(Self::Online),
            "busy" => Ok(Self::Busy),
            "offline" => Ok(Self::Offline),
            _ => Err(ValidationError::new(field, "inclusion", "must be online, busy or offline")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Busy => "busy",
            Self::Offline => "offline",
        }
    }
}

/// An email address, trimmed; compared without regard to case by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX: usize = 254;

    pub fn parse(field: &str, raw: &str) -> Result<Self, ValidationError> {
        let v = raw.trim();
        if v.is_empty() {
            return Err(ValidationError::blank(field));
        }
        if v.len() > Self::MAX {
            return Err(ValidationError::too_long(field, Self::MAX));
        }
        let invalid = || ValidationError::invalid(field, "is not a valid email");
        let (local, domain) = v.split_once('@').ok_or_else(invalid)?;
        let ok_chars = |s: &str| !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c == '@' || c.is_control());
        if !ok_chars(local) || !ok_chars(domain) || !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
            return Err(invalid());
        }
        Ok(Self(v.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A password as set by a person; only its argon2 hash is ever stored.
pub struct Password(String);

impl Password {
    pub const MIN: usize = 6;
    pub const MAX: usize = 128;

    pub fn parse(field: &str, raw: &str) -> Result<Self, ValidationError> {
        let n = raw.chars().count();
        if n < Self::MIN {
            return Err(ValidationError::new(field, "too_short", format!("is too short (minimum is {} characters)", Self::MIN)));
        }
        if n > Self::MAX {
            return Err(ValidationError::too_long(field, Self::MAX));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(****)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_permit() {
        assert_eq!(Role::parse("role", "administrator").ok(), Some(Role::Administrator));
        assert!(Role::parse("role", "owner").is_err());
        assert!(Role::Administrator.can_administer());
        assert!(!Role::Agent.can_administer());
        assert_eq!(Role::from_column("garbage"), None);
        assert_eq!(Role::from_column("administrator"), Some(Role::Administrator));
    }

    #[test]
    fn availability_accepts_both_spellings() {
        assert_eq!(Availability::parse("a", "available").ok(), Some(Availability::Online));
        assert_eq!(Availability::parse("a", "busy").ok(), Some(Availability::Busy));
        assert!(Availability::parse("a", "away").is_err());
    }

    #[test]
    fn emails_are_validated() {
        assert_eq!(Email::parse("email", " Ana@Example.com ").map(Email::into_inner).ok(), Some("Ana@Example.com".into()));
        for bad in ["", "ana", "ana@", "@x.com", "a b@x.com", "ana@localhost", "ana@x.", "a@b@c.com"] {
            assert!(Email::parse("email", bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn passwords_have_bounds_and_never_print() {
        assert!(Password::parse("password", "12345").is_err());
        let p = Password::parse("password", "secret-pass").ok();
        assert_eq!(format!("{:?}", p), "Some(Password(****))");
    }
}

/// An account must always keep an administrator: refuse the change that would remove the last.
pub fn keeps_an_administrator(current: Role, next: Option<Role>, administrators: i64) -> Result<(), ValidationError> {
    let loses_admin = current == Role::Administrator && next != Some(Role::Administrator);
    if loses_admin && administrators <= 1 {
        return Err(ValidationError::new("role", "last_administrator", "cannot remove the account's last administrator"));
    }
    Ok(())
}

#[cfg(test)]
mod last_admin_tests {
    use super::*;

    #[test]
    fn the_last_administrator_stays() {
        assert!(keeps_an_administrator(Role::Administrator, Some(Role::Agent), 1).is_err());
        assert!(keeps_an_administrator(Role::Administrator, None, 1).is_err());
        assert!(keeps_an_administrator(Role::Administrator, Some(Role::Agent), 2).is_ok());
        assert!(keeps_an_administrator(Role::Administrator, Some(Role::Administrator), 1).is_ok());
        assert!(keeps_an_administrator(Role::Agent, None, 1).is_ok());
    }
}
