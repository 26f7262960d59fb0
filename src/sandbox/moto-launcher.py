"""Start moto's server with one emulator gap closed.

moto 5.2.1's ExecuteChangeSet applies the resources but keeps the stack's old template, outputs and
parameters, so a stack created or updated through a change set reports no Outputs and its old
Parameters. Real CloudFormation reports both. The product code follows real CloudFormation; this
launcher makes the emulator do the same (used only by the local sandbox and the tests).
"""
import sys

from moto.cloudformation import models as cfn_models
from moto.server import main

_original_execute = cfn_models.CloudFormationBackend.execute_change_set


def _execute_change_set(self, change_set_name, stack_name=None):
    change_set = self.change_sets.get(change_set_name)
    if change_set is None:
        for cs in self.change_sets.values():
            if cs.change_set_name == change_set_name and (
                stack_name is None or cs.stack_name == stack_name or cs.stack_id == stack_name
            ):
                change_set = cs
    _original_execute(self, change_set_name, stack_name)
    if change_set is None:
        return
    stack = self.stacks[change_set.stack_id]
    stack.template = change_set.template
    if change_set.parameters is not None:
        stack.parameters = change_set.parameters
    stack._parse_template()
    stack.description = stack.template_dict.get("Description")
    stack.output_map = stack._create_output_map()


cfn_models.CloudFormationBackend.execute_change_set = _execute_change_set

if __name__ == "__main__":
    main(sys.argv[1:])
