//! Support for the fault suite: the processes and the business driven
//! through them.

pub mod business;
pub mod processes;
pub mod settle;
