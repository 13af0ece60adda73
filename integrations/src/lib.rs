//! Provider clients and local fake providers. Not built yet: see the integrations issue.
