//! What rotated a session, as a run records it: the released server writes, into the
//! `context_snapshot` of the run that follows a rotation, the session it rotated
//! (`paperclipPreviousSessionId`) and the decision's reason (`paperclipSessionRotationReason`),
//! whose sentence tells the rule.

use serde::Serialize;

/// What rotated a session, told by the reason's sentence as the decision writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RotationKind {
    /// The dead-session breaker, by the fork's rule: "3 consecutive failed zero-token reused
    /// runs on persisted session …".
    ForkBreaker,
    /// The breaker under a wider rule: "3 consecutive dead reused runs (…) on persisted session …".
    WiderBreaker,
    /// "session exceeded N runs".
    RunLimit,
    /// "session raw input reached N tokens (threshold M)".
    RawInput,
    /// "session age reached N hours".
    SessionAge,
    /// Any other reason, or none.
    Other,
}

impl RotationKind {
    /// The kind of a rotation by its reason (`None`: the run named no reason).
    pub fn of_reason(reason: Option<&str>) -> RotationKind {
        let Some(reason) = reason else {
            return RotationKind::Other;
        };
        let after_count = reason.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == 'e' || c == '+');
        let counted = after_count.len() < reason.len();
        if counted && after_count.starts_with(" consecutive failed zero-token reused runs on persisted session ") {
            RotationKind::ForkBreaker
        } else if counted && after_count.starts_with(" consecutive dead reused runs (") {
            RotationKind::WiderBreaker
        } else if reason.starts_with("session exceeded ") && reason.ends_with(" runs") {
            RotationKind::RunLimit
        } else if reason.starts_with("session raw input reached ") {
            RotationKind::RawInput
        } else if reason.starts_with("session age reached ") {
            RotationKind::SessionAge
        } else {
            RotationKind::Other
        }
    }

    /// Whether the breaker made this rotation (under either rule).
    pub fn by_breaker(self) -> bool {
        matches!(self, RotationKind::ForkBreaker | RotationKind::WiderBreaker)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_the_decision_writes_has_its_kind() {
        let kinds = [
            (
                "3 consecutive failed zero-token reused runs on persisted session s",
                RotationKind::ForkBreaker,
            ),
            (
                "5 consecutive failed zero-token reused runs on persisted session s",
                RotationKind::ForkBreaker,
            ),
            (
                "3 consecutive dead reused runs (3 empty_response zero-token) on persisted session s",
                RotationKind::WiderBreaker,
            ),
            ("session exceeded 200 runs", RotationKind::RunLimit),
            (
                "session raw input reached 1,250,000 tokens (threshold 1,000,000)",
                RotationKind::RawInput,
            ),
            ("session age reached 72 hours", RotationKind::SessionAge),
            ("the operator asked", RotationKind::Other),
            (
                " consecutive failed zero-token reused runs on persisted session s",
                RotationKind::Other,
            ),
        ];
        for (reason, kind) in kinds {
            assert_eq!(RotationKind::of_reason(Some(reason)), kind, "{reason}");
        }
        assert_eq!(RotationKind::of_reason(None), RotationKind::Other);
    }
}
