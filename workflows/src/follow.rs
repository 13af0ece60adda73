//! How a process manager follows the log: the follower of
//! `dropledger-follower`, which the projections' runner shares, named here
//! so that every workflow finds it beside the workflows.

pub use dropledger_follower::{
    checkpoint, event_type, run, run_periodic, sleep_or_shutdown, FollowError, ManagerHealth,
    ManagerReport, ManagerState, Reaction, Retry, StepError, STEP_ATTEMPTS_MAX,
};
