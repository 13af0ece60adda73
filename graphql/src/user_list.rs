//! `users`: every registered user with their role, for ADMINs granting
//! roles. Nobody else may list people: a USER knows only themselves
//! (`me`) and the display names of those they trade with.

use async_graphql::connection::Edge;
use async_graphql::{Context, Object};
use dropledger_projections::{registered_users_page, Projection};

use crate::auth::Role;
use crate::consistency::wait_for_read_models;
use crate::context::parts;
use crate::errors::internal;
use crate::loaders::loaders;
use crate::orders::require;
use crate::paging::{page_request, ReadConnection};
use crate::users::User;

/// `users`.
#[derive(Default)]
pub struct UserListQuery;

#[Object]
impl UserListQuery {
    /// Every registered user, in registration order, with e-mail and role.
    /// ADMIN only. `consistentAfter` as for `products` (e.g. `register`'s
    /// or `setUserRole`'s position).
    #[graphql(complexity = "crate::paging::connection_complexity(first, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        consistent_after: Option<i64>,
    ) -> async_graphql::Result<ReadConnection<User>> {
        let (services, request) = parts(ctx);
        require(&request, &[Role::Admin])?;
        let page = page_request(first, after.as_deref())?;
        wait_for_read_models(
            services,
            &request,
            &[Projection::Autopilot],
            consistent_after,
        )
        .await?;
        let rows = registered_users_page(services.store.pool(), page.first, page.after)
            .await
            .map_err(|error| internal(&error))?;
        let ids: Vec<_> = rows.edges.iter().map(|(_, user_id)| *user_id).collect();
        let mut users = loaders(ctx)
            .users
            .load_many(ids)
            .await
            .map_err(|error| internal(&error))?;
        let mut connection = ReadConnection::new(page.after.is_some(), rows.has_next_page);
        // The role is read from each user's stream: a role changed a moment
        // ago shows at once, whatever the read model's lag.
        connection
            .edges
            .extend(rows.edges.into_iter().filter_map(|(cursor, user_id)| {
                let user = users.remove(&user_id)?.for_caller(&request);
                Some(Edge::new(cursor.encode(), user))
            }));
        Ok(connection)
    }
}
