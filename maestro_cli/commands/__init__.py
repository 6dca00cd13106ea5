"""One module per noun of the CLI (task, subtask, session, report, skill, config, ...)."""
