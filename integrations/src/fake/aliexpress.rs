//! stub
/// stub
pub struct FakeAliExpress;
/// stub
pub struct FakeAliExpressBuilder;
