"""Running one job: command line, config resolution and checks, checkpoints, atomic results files, seeding."""
