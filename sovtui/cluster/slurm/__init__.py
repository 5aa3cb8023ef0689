"""Ray clusters in Slurm allocations, driven from a login node (no Textual, no ray import).

commands: Slurm's CLI, async with deadlines; queue: squeue/scontrol parsed; script and
node_launcher: the batch script and the per-node Ray starter it runs; records: each cluster's
state dir; lifecycle: submit, wait for the head, cancel, adopt; attach: a Connection to it.
"""
