"""Scenario layer: lever schemas, the root schema, the spending plan, scenario files."""
