//! Support for the fault suite: the processes, the database and the
//! business driven through them, what goes wrong, and the counts at the end.

pub mod books;
pub mod business;
pub mod database;
pub mod outcome;
pub mod processes;
pub mod provider_faults;
pub mod run;
pub mod settle;
pub mod turbulence;
