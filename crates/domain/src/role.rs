//! Roles and what each may do. Every route names the permission it needs;
//! this table is the single place that says which role has it.

use crate::case::string_enum;
use crate::error::ValidationError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum!(
    /// A user's role.
    Role, "role" {
        Agent => "agent",
        Lead => "lead",
        Admin => "admin",
    }
);

/// Things a route may require.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Read cases, customers, timelines.
    ReadCases,
    /// Create and work cases and customers: notes, transitions, assignment.
    WorkCases,
    /// See the audit log and team-wide reports.
    ReadAudit,
    /// Manage users, roles and other users' API tokens.
    ManageUsers,
    /// Create, change and delete detection rules.
    ManageRules,
    /// Configure integrations: webhooks, the job queue (retry dead jobs).
    ManageIntegrations,
    /// Configure service levels: SLA policies and their calendars.
    ManageSla,
    /// Approve or reject goodwill above someone's limit; see the ledger.
    ApproveGoodwill,
    /// Configure the goodwill catalog, limits and budgets.
    ManageGoodwill,
    /// Create, change and delete reply templates.
    ManageTemplates,
    /// Declare incidents, upload affected customers, send closing updates.
    ManageIncidents,
    /// Delete solution articles and theme the public help center (writing
    /// articles is part of working cases).
    ManageSolutions,
    /// Export everything stored about a customer (GDPR access and
    /// portability requests).
    ExportPersonalData,
    /// Erase a customer's personal data (GDPR erasure requests); cannot be
    /// undone.
    ErasePersonalData,
    /// Merge a duplicate customer into another (cannot be undone).
    MergeCustomers,
    /// Create, change and deactivate recovery playbooks (checking off a
    /// case's steps is part of working cases).
    ManagePlaybooks,
}

impl Role {
    #[must_use]
    pub fn can(self, p: Permission) -> bool {
        match p {
            Permission::ReadCases | Permission::WorkCases => true,
            Permission::ReadAudit => matches!(self, Role::Lead | Role::Admin),
            Permission::ManageUsers
            | Permission::ManageIntegrations
            | Permission::ManageSla
            | Permission::ManageGoodwill
            | Permission::ErasePersonalData => matches!(self, Role::Admin),
            Permission::ApproveGoodwill | Permission::ExportPersonalData | Permission::MergeCustomers => {
                matches!(self, Role::Lead | Role::Admin)
            }
            Permission::ManageRules
            | Permission::ManageIncidents
            | Permission::ManageTemplates
            | Permission::ManageSolutions
            | Permission::ManagePlaybooks => {
                matches!(self, Role::Lead | Role::Admin)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_manage_users() {
        assert!(Role::Admin.can(Permission::ManageUsers));
        assert!(!Role::Lead.can(Permission::ManageUsers));
        assert!(!Role::Agent.can(Permission::ManageUsers));
        assert!(Role::Lead.can(Permission::ReadAudit));
        assert!(!Role::Agent.can(Permission::ReadAudit));
        assert!(Role::Agent.can(Permission::WorkCases));
        assert!(Role::Lead.can(Permission::ApproveGoodwill));
        assert!(!Role::Agent.can(Permission::ApproveGoodwill));
        assert!(!Role::Lead.can(Permission::ManageGoodwill));
        assert!(Role::Admin.can(Permission::ManageGoodwill));
        assert!(Role::Lead.can(Permission::ManageIncidents));
        assert!(!Role::Agent.can(Permission::ManageIncidents));
        assert!(Role::Lead.can(Permission::ManageTemplates));
        assert!(!Role::Agent.can(Permission::ManageTemplates));
        assert!(Role::Lead.can(Permission::ManageSolutions));
        assert!(!Role::Agent.can(Permission::ManageSolutions));
        assert!(Role::Lead.can(Permission::ManagePlaybooks));
        assert!(!Role::Agent.can(Permission::ManagePlaybooks));
        assert!(Role::Lead.can(Permission::ExportPersonalData));
        assert!(!Role::Agent.can(Permission::ExportPersonalData));
        assert!(Role::Admin.can(Permission::ErasePersonalData));
        assert!(!Role::Lead.can(Permission::ErasePersonalData));
    }
}
