//! Read models built from the event log. Not built yet: see the projections issue.
