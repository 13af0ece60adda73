//! stub
/// stub
pub struct FakePayoneer;
