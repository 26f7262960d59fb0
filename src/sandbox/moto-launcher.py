"""Start moto's server with two emulator gaps closed (used only by the local sandbox and the tests).

1. moto 5.2.1's ExecuteChangeSet applies the resources but keeps the stack's old template, outputs
   and parameters. Real CloudFormation reports the new ones.
2. On an UPDATE, moto's ResourceMap.update replaces every modified resource with what
   ``parse_and_update_resource`` returns, and that is ``None`` for every type without an
   ``update_from_cloudformation_json`` (AWS::EC2::VPC, AWS::EC2::Subnet, most types) and for types
   moto does not know. The resource then drops out of the stack's resource map: ``Ref``/``GetAtt``
   to it resolve to nothing and the outputs built on it vanish from DescribeStacks (after an update
   through a change set, Outputs came back empty). Real CloudFormation updates such a resource in
   place and keeps its physical id, so when moto has no update for a type we keep the resource as it
   was.
3. moto does not know ``Fn::Cidr`` (a template using it fails with an internal error); we compute it
   as CloudFormation does (``count`` blocks with ``cidrBits`` host bits, carved from the start of
   the block).

The product code follows real CloudFormation; this launcher makes the emulator do the same.
"""
import ipaddress
import sys

from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing as cfn_parsing
from moto.server import main

_original_execute = cfn_models.CloudFormationBackend.execute_change_set
_original_update_resource = cfn_parsing.parse_and_update_resource


def _parse_and_update_resource(logical_id, resource_json, resources_map, account_id, region_name):
    updated = _original_update_resource(
        logical_id, resource_json, resources_map, account_id, region_name
    )
    if updated is None:
        # No emulated update for this type: an in-place update keeps the resource (and its id).
        return resources_map._parsed_resources.get(logical_id)
    return updated


_original_clean_json = cfn_parsing.clean_json


def _clean_json(resource_json, resources_map):
    if isinstance(resource_json, dict) and "Fn::Cidr" in resource_json:
        block, count, bits = (_clean_json(v, resources_map) for v in resource_json["Fn::Cidr"])
        network = ipaddress.ip_network(str(block), strict=False)
        subnets = network.subnets(new_prefix=network.max_prefixlen - int(bits))
        return [str(next(subnets)) for _ in range(int(count))]
    return _original_clean_json(resource_json, resources_map)


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


# ResourceMap.update looks the function up in its module at call time, so rebinding it there is enough.
cfn_parsing.parse_and_update_resource = _parse_and_update_resource
cfn_parsing.clean_json = _clean_json
cfn_models.CloudFormationBackend.execute_change_set = _execute_change_set

if __name__ == "__main__":
    main(sys.argv[1:])
