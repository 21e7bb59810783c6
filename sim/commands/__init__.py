"""Commands layer: one module per ``weilai`` subcommand (argparse and calls into the layers)."""
