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
3. Types moto does not emulate (AWS::EKS::Cluster, AWS::RDS::DBCluster, …) were skipped, so a
   ``Ref``/``Fn::GetAtt`` to one failed the whole stack ("GetAtt references undefined resource").
   They now get a stand-in: a physical id and placeholder attribute values (``<id>-<attribute>``,
   ARNs shaped as ARNs), enough for outputs and the stacks that read them. Nothing is really created.
4. An Aurora ``AWS::RDS::DBInstance`` takes its engine version from its cluster, so templates
   leave EngineVersion out; moto has no default for the aurora engines and failed with an
   internal error. We give it one.
5. An ``AWS::EC2::VPCPeeringConnection`` with ``PeerRegion`` (the spoke-to-hub peering) looked for
   the peer VPC in its own region and failed; we look in the peer's region (and account).
6. An ``AWS::EC2::SecurityGroup`` ingress rule for all protocols (``IpProtocol: -1``) needs no
   ports in CloudFormation; moto required FromPort and failed with an internal error. We fill in -1.
7. DescribeStacks showed list parameters (``List<AWS::EC2::Subnet::Id>``, ``CommaDelimitedList``)
   as a Python list (``['subnet-a', 'subnet-b']``); CloudFormation shows ``subnet-a,subnet-b``.
8. moto does not know ``Fn::Cidr`` (a template using it fails with an internal error); we compute it
   as CloudFormation does (``count`` blocks with ``cidrBits`` host bits, carved from the start of
   the block).

The product code follows real CloudFormation; this launcher makes the emulator do the same.
"""
import ipaddress
import sys

from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing as cfn_parsing
from moto.ec2.models import vpc_peering_connections as pcx_models
from moto.ec2.models import security_groups as sg_models
from moto.rds import models as rds_models
from moto.server import main


# --- Operations moto lacks answer NotImplemented (issue 12) -------------------------------------------
# moto answers an operation it does not have with a bare HTML 404 (no route: Route 53's TestDNSAnswer) or
# an HTML 500 (a known action without an implementation: CloudFormation's DetectStackDrift). Real AWS
# answers 404 for real errors too (NoSuchHostedZone), so product code cannot tell the two apart from the
# status. Here both become an AWS-shaped error with the code NotImplemented (HTTP 501): product code keeps
# one rule ("unavailable" means UnknownOperation/NotImplemented), real 404s stay real errors.
from moto.core import responses as _core_responses
from moto.moto_server import werkzeug_app as _werkzeug_app


def _not_implemented_reply(environ, start_response, message):
    content_type = environ.get("CONTENT_TYPE", "")
    if "json" in content_type:
        body = ('{"__type":"NotImplemented","message":"%s"}' % message.replace('"', "'")).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", "NotImplemented")]
    else:
        body = (
            "<ErrorResponse><Error><Type>Sender</Type><Code>NotImplemented</Code>"
            "<Message>%s</Message></Error></ErrorResponse>" % message
        ).encode()
        headers = [("Content-Type", "text/xml")]
    start_response("501 NOT IMPLEMENTED", headers + [("Content-Length", str(len(body)))])
    return [body]


_original_call_action = _core_responses.BaseResponse.call_action


def _call_action(self):
    try:
        return _original_call_action(self)
    except NotImplementedError as err:
        raise _Unimplemented(str(err)) from err


class _Unimplemented(Exception):
    pass


def _dispatch(self, environ, start_response):
    app = self.get_application(environ)
    seen = {}

    def capture(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, headers
        return lambda _data: None

    operation = "%s %s" % (environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""))
    try:
        body = b"".join(app(environ, capture))
    except _Unimplemented as err:
        return _not_implemented_reply(environ, start_response, str(err))
    status = seen.get("status", "500")
    # Flask's own page for a path no moto route serves (an AWS error body is never HTML).
    if status.startswith("404") and b"<title>404 Not Found</title>" in body:
        return _not_implemented_reply(environ, start_response, "moto does not implement %s" % operation)
    start_response(status, seen.get("headers", []))
    return [body]


_core_responses.BaseResponse.call_action = _call_action
_werkzeug_app.DomainDispatcherApplication.__call__ = _dispatch
# -------------------------------------------------------------------------------------------------------

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


class _StandInResource:
    """A resource of a type moto cannot emulate: an id and placeholder attributes, nothing behind them."""

    def __init__(self, name, resource_type, account_id, region_name):
        self.name = name
        self.resource_type = resource_type
        self.account_id = account_id
        self.region_name = region_name

    @property
    def physical_resource_id(self):
        return self.name

    @classmethod
    def has_cfn_attr(cls, attr):
        return True

    def get_cfn_attribute(self, attribute_name):
        # Shaped like the real values, so templates that take them apart (Select/Split) still work.
        attr = attribute_name.lower()
        host = f"{self.name.lower()}.stand-in.invalid"
        if attr.endswith("arn"):
            service, kind = self.resource_type.split("::")[1:3]
            return f"arn:aws:{service.lower()}:{self.region_name}:{self.account_id}:{kind.lower()}/{self.name}"
        if attr.endswith("url"):
            return f"https://{host}/id/{self.name}"
        if attr == "endpoint":
            return f"https://{host}"
        if attr.endswith("address"):
            return host
        if attr.endswith("port"):
            return "5432" if "::RDS::" in self.resource_type else "443"
        if attr == "certificateauthoritydata":
            return "c3RhbmQtaW4="
        return f"{self.name}-{attr.replace('.', '-')}"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json.get("Properties") or {}
        # Ref of most named types is the name the template gave (an EKS cluster's Name, a DB identifier).
        for key in ("Name", "ClusterName", "DBClusterIdentifier", "DBInstanceIdentifier"):
            if isinstance(props.get(key), str) and props[key]:
                resource_name = props[key]
                break
        resource_type = cloudformation_json.get("Type") or kwargs.get("ResourceType") or "AWS::Unknown::Resource"
        return cls(resource_name, resource_type, account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        pass

    def delete(self, account_id, region_name):
        pass


_original_resource_class = cfn_parsing.resource_class_from_type


def _resource_class_from_type(resource_type):
    cls = _original_resource_class(resource_type)
    if cls is None and resource_type not in cfn_parsing.NULL_MODELS and resource_type.startswith("AWS::"):
        return _StandInResource
    return cls


def _create_peering(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    from moto.ec2.models import ec2_backends

    props = cloudformation_json["Properties"]
    vpc = ec2_backends[account_id][region_name].get_vpc(props["VpcId"])
    peer_account = props.get("PeerOwnerId") or account_id
    peer_region = props.get("PeerRegion") or region_name
    peer_vpc = ec2_backends[peer_account][peer_region].get_vpc(props["PeerVpcId"])
    return ec2_backends[account_id][region_name].create_vpc_peering_connection(vpc, peer_vpc)


_original_create_sg = sg_models.SecurityGroup.create_from_cloudformation_json.__func__


def _create_security_group(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    props = cloudformation_json.get("Properties") or {}
    rules = props.get("SecurityGroupIngress")
    if rules:
        props["SecurityGroupIngress"] = [
            {"FromPort": -1, "ToPort": -1, **rule} if "FromPort" not in rule else rule for rule in rules
        ]
    return _original_create_sg(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)


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


_original_create_change_set = cfn_models.CloudFormationBackend.create_change_set


def _create_change_set(self, stack_name, change_set_name, template, parameters, description, change_set_type, *args, **kwargs):
    # CloudFormation adds a CREATE change set to the stack already under review (REVIEW_IN_PROGRESS,
    # from an earlier change set never executed); moto made a second stack of the same name.
    reviewing = None
    if change_set_type == "CREATE":
        for stack in self.stacks.values():
            if stack.name == stack_name and stack.status == "REVIEW_IN_PROGRESS":
                reviewing = stack
    change_set_id, stack_id = _original_create_change_set(
        self, stack_name, change_set_name, template, parameters, description, change_set_type, *args, **kwargs
    )
    if reviewing is None or stack_id == reviewing.stack_id:
        return change_set_id, stack_id
    self.stacks.pop(stack_id, None)
    change_set = self.change_sets[change_set_id]
    change_set.stack = reviewing
    change_set.stack_id = reviewing.stack_id
    change_set.stack_name = reviewing.name
    return change_set_id, reviewing.stack_id


def _parameter_list(self):
    return [
        {
            "ParameterKey": p["ParameterKey"],
            "ParameterValue": ",".join(str(v) for v in p["ParameterValue"])
            if isinstance(p["ParameterValue"], list)
            else p["ParameterValue"],
        }
        for p in _original_parameter_list.fget(self)
    ]


_original_parameter_list = cfn_models.Stack.parameter_list


# ResourceMap.update looks the function up in its module at call time, so rebinding it there is enough.
cfn_parsing.parse_and_update_resource = _parse_and_update_resource
cfn_parsing.clean_json = _clean_json
cfn_parsing.resource_class_from_type = _resource_class_from_type
pcx_models.VPCPeeringConnection.create_from_cloudformation_json = classmethod(_create_peering)
sg_models.SecurityGroup.create_from_cloudformation_json = classmethod(_create_security_group)
rds_models.DBInstance.default_engine_versions.setdefault("aurora-postgresql", "16.6")
rds_models.DBInstance.default_engine_versions.setdefault("aurora-mysql", "8.0.mysql_aurora.3.08.0")
cfn_models.CloudFormationBackend.execute_change_set = _execute_change_set
cfn_models.CloudFormationBackend.create_change_set = _create_change_set
cfn_models.Stack.parameter_list = property(_parameter_list)

if __name__ == "__main__":
    main(sys.argv[1:])
