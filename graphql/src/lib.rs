//! The GraphQL API. Not built yet: see the GraphQL issue.
