use crate::kinds::wire_enum;

wire_enum!(
    /// A user's role in an org. Ordered: `Member < Admin < Owner`.
    Role {
        /// Reads and changes numbers and agents.
        Member => "member",
        /// Also transfers numbers and manages VoIP connections.
        Admin => "admin",
        /// Everything an admin can do.
        Owner => "owner",
    }
);

impl Role {
    fn rank(self) -> u8 {
        match self {
            Role::Member => 0,
            Role::Admin => 1,
            Role::Owner => 2,
        }
    }

    /// True when this role is `required` or higher.
    pub fn at_least(self, required: Role) -> bool {
        self >= required
    }
}

impl PartialOrd for Role {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Role {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Member < Role::Admin && Role::Admin < Role::Owner);
        assert!(Role::Owner.at_least(Role::Admin));
        assert!(!Role::Member.at_least(Role::Admin));
    }
}
