/// Generates an enum with its wire name, `Display` and `FromStr`.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The lower-case name used on the wire and in storage.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::ParseError;
            fn from_str(s: &str) -> Result<Self, $crate::ParseError> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err($crate::ParseError::new(concat!("must be one of: ", $($wire, " "),+).trim_end().to_owned())),
                }
            }
        }
    };
}
pub(crate) use wire_enum;

wire_enum!(
    /// Where a number is in its life (API.md §3).
    Status {
        /// Reserved; waiting for the provider or a VoIP verification.
        Provisioning => "provisioning",
        /// Routes calls.
        Active => "active",
        /// The provider gave up; terminal except for DELETE.
        Failed => "failed",
        /// Kept by the org but routes no calls; reversible.
        Released => "released",
    }
);

wire_enum!(
    /// Where a number came from.
    Source {
        /// ThunderPhone's pool.
        Demo => "demo",
        /// Brought by the customer through a VoIP connection.
        Voip => "voip",
    }
);

wire_enum!(
    /// Outcome of the last VoIP verification.
    VerificationStatus {
        /// Never verified (always so for demo numbers).
        Unverified => "unverified",
        /// The last verification passed.
        Verified => "verified",
        /// The last verification failed.
        Failed => "failed",
    }
);

wire_enum!(
    /// What a version snapshot records (API.md §8).
    ChangeKind {
        /// The number was provisioned or imported.
        Created => "created",
        /// The provider confirmed activation.
        Activated => "activated",
        /// The provider gave up.
        ProvisioningFailed => "provisioning_failed",
        /// Agents (or the VoIP connection link) changed.
        Assigned => "assigned",
        /// A client changed the status.
        StatusChanged => "status_changed",
        /// The number moved to another org.
        Transferred => "transferred",
        /// A VoIP verification passed.
        Verified => "verified",
        /// A VoIP verification failed.
        VerificationFailed => "verification_failed",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_value() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>(), Ok(*s));
        }
        for s in ChangeKind::ALL {
            assert_eq!(s.as_str().parse::<ChangeKind>(), Ok(*s));
        }
        assert!("Active".parse::<Status>().is_err());
        assert_eq!(
            "x".parse::<Source>().map_err(|e| e.to_string()),
            Err("must be one of: demo voip".to_owned())
        );
    }
}
