"""The wfplan command line: the ``wfplan`` group and its commands, one module per kind of work.

Data flows one way: load -> validate -> build -> solve -> explain -> export.

- :mod:`~wfplan.cli.app`: the group, user errors (exit 2), warnings and signals;
- :mod:`~wfplan.cli.params`, :mod:`~wfplan.cli.output_check`: parameters several
  commands share, and the output path check every writing command makes first;
- the commands: :mod:`~wfplan.cli.scenario_commands` (validate, template, convert,
  synth, examples), :mod:`~wfplan.cli.plan_commands` (plan, sweep),
  :mod:`~wfplan.cli.explain_commands` (diagnose, explain, compare, sensitivity),
  :mod:`~wfplan.cli.report_commands` (trajectory, export checkpoint, report, pack).
"""

from wfplan.cli.app import main
from wfplan.cli.explain_commands import compare, diagnose, explain, sensitivity
from wfplan.cli.plan_commands import plan, sweep
from wfplan.cli.report_commands import export, pack, report, trajectory
from wfplan.cli.scenario_commands import convert, examples, synth, template, validate

for _command in (validate, trajectory, plan, export, template, convert, report, pack, diagnose, explain, compare,
                 sensitivity, synth, examples, sweep):
    main.add_command(_command)

__all__ = ["main"]
