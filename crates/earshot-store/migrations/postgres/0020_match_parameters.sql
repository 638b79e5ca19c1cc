-- The identity matcher's parameters fitted on a workspace's own contacts (m and u per field
-- level, the prior, name and handle frequencies; JSON), used by its suggestions instead of
-- the documented defaults.
CREATE TABLE match_parameters (
    workspace_id  BIGINT  PRIMARY KEY REFERENCES workspaces(id),
    parameters    TEXT    NOT NULL,
    records       BIGINT  NOT NULL,
    fitted_at     BIGINT  NOT NULL
);
