//! What a console user may do: the `role` claim of a console token.

/// What a console user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Role {
    /// Reads the tenant's keys, domains, API keys and settings.
    Viewer,
    /// Also creates, imports, deletes and verifies keys, and issues and
    /// revokes API keys.
    Admin,
    /// Also changes the tenant's settings.
    Owner,
    /// A platform operator: lists and creates tenants, and has no tenant.
    Operator,
}

impl Role {
    /// The claim's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Admin => "admin",
            Self::Owner => "owner",
            Self::Operator => "operator",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        [Self::Viewer, Self::Admin, Self::Owner, Self::Operator]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_rank_viewer_admin_owner_and_parse_only_their_names() {
        assert!(Role::Viewer < Role::Admin && Role::Admin < Role::Owner);
        assert_eq!(Role::parse("owner"), Some(Role::Owner));
        assert_eq!(Role::parse("Owner"), None);
        assert_eq!(Role::parse("root"), None);
    }
}
