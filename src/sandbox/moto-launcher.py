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


# --- IAM: actions enforced, web-identity trust refused (issue 14; the functions below are this block's) ---
# moto checks each request's action against the caller's identity policies once access control is on
# (`POST /moto-api/reset-auth`, body "0", sent by moto-server.ts after start). What this block changes:
#  a. For most services moto passes the resource `*`, so an Allow scoped to an ARN (`DescribeStacks` on
#     `stack/s1/*`) never matched and a correctly scoped role was denied. An Allow now matches whatever
#     its Resource when moto knows no resource; a scoped Deny is not applied then, and a conditioned
#     Deny is never applied (moto cannot evaluate the condition). Resources and conditions are the
#     policy test's (test/policy), which simulates them: here only actions are enforced.
#  b. AssumeRoleWithWebIdentity never evaluated the role's trust policy. The trust evaluator of the
#     project (src/sandbox/web-identity-trust.ts, also the policy test's) now decides: the launcher
#     posts the role's trust policy, the token's claims and the account's OIDC providers to it
#     (MOTO_TRUST_EVALUATOR_URL) and refuses the call with AccessDenied when it says no.
#  c. The bootstrap's administrator: a user with an inline `*` policy and the access key given in
#     MOTO_ADMIN_ACCESS_KEY_ID / MOTO_ADMIN_SECRET_ACCESS_KEY, seeded at start and after every
#     `/moto-api/reset`, so access control can be on from the first request.
import base64
import json
import os
import urllib.request

from moto import settings as _moto_settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import ServiceException
from moto.iam import access_control as iam_access
from moto.iam.models import iam_backends
from moto.moto_api._internal import models as moto_api_models
from moto.sts import responses as sts_responses

ADMIN_USER = "sandbox-administrator"


def _seed_administrator():
    key_id = os.environ.get("MOTO_ADMIN_ACCESS_KEY_ID")
    secret = os.environ.get("MOTO_ADMIN_SECRET_ACCESS_KEY")
    account = os.environ.get("MOTO_ACCOUNT_ID")
    if not key_id or not secret or not account:
        return
    iam = iam_backends[account]["aws"]
    if ADMIN_USER in iam.users:
        return
    iam.create_user(region_name="us-east-1", user_name=ADMIN_USER)
    iam.put_user_policy(
        ADMIN_USER,
        "administrator",
        json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    )
    key = iam.create_access_key(ADMIN_USER)
    key.access_key_id = key_id
    key.secret_access_key = secret


_original_api_reset = moto_api_models.MotoAPIBackend.reset


def _reset_keeping_administrator(self):
    _original_api_reset(self)
    _seed_administrator()


_original_statement_permitted = iam_access.IAMPolicyStatement.is_action_permitted


def _statement_permitted_on_actions(self, action, resource="*", principal=None, incoming_condition_values=None):
    statement = self._statement
    identity_policy = principal is None and incoming_condition_values is None
    if identity_policy and statement.get("Effect") == "Deny" and "Condition" in statement:
        return iam_access.PermissionResult.NEUTRAL
    if identity_policy and resource == "*" and ("Resource" in statement or "NotResource" in statement):
        if statement.get("Effect") == "Allow":
            statement = {k: v for k, v in statement.items() if k != "NotResource"}
            statement["Resource"] = "*"
        elif "NotResource" in statement:
            return iam_access.PermissionResult.NEUTRAL
        return _original_statement_permitted(
            iam_access.IAMPolicyStatement(statement), action, resource, principal, incoming_condition_values
        )
    return _original_statement_permitted(self, action, resource, principal, incoming_condition_values)


_original_policy_init = iam_access.IAMPolicy.__init__


def _policy_from_any_document(self, policy):
    # A role's inline policy made by CloudFormation is kept as a parsed document, not JSON text.
    if isinstance(policy, dict) and "Statement" in policy:
        policy = json.dumps(policy)
    _original_policy_init(self, policy)


# moto names the action by the request's signing name; IAM's prefix differs for a few services.
_IAM_PREFIX_OF_SIGNING_NAME = {"monitoring": "cloudwatch", "email": "ses", "tagging": "tag"}
_original_request_init = iam_access.IAMRequestBase.__init__


def _request_with_iam_prefix(self, *args, **kwargs):
    _original_request_init(self, *args, **kwargs)
    service, _, name = self._action.partition(":")
    self._action = f"{_IAM_PREFIX_OF_SIGNING_NAME.get(service, service)}:{name}"


class _WebIdentityRefused(ServiceException):
    code = "AccessDenied"


def _access_control_on():
    return ActionAuthenticatorMixin.request_count >= _moto_settings.INITIAL_NO_AUTH_ACTION_COUNT


def _token_claims(token):
    try:
        part = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError):
        return {}


def _refuse_untrusted_web_identity(response):
    role_arn = response._get_param("RoleArn")
    account = response.current_account
    iam = iam_backends[account][response.partition]
    try:
        trust = json.loads(iam.get_role_by_arn(role_arn).assume_role_policy_document)
    except Exception:
        trust = None
    providers = [
        {"arn": p.arn, "url": p.url, "clientIds": list(p.client_id_list)} for p in iam.open_id_providers.values()
    ]
    url = os.environ.get("MOTO_TRUST_EVALUATOR_URL")
    if not url:
        raise _WebIdentityRefused(
            "Not authorized to perform sts:AssumeRoleWithWebIdentity (no trust evaluator: start moto with moto-server.ts)"
        )
    body = json.dumps(
        {
            "roleArn": role_arn,
            "trustPolicy": trust,
            "claims": _token_claims(response._get_param("WebIdentityToken") or ""),
            "providers": providers,
        }
    ).encode()
    request = urllib.request.Request(url, data=body, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        verdict = json.loads(answer.read())
    if not verdict.get("allowed"):
        raise _WebIdentityRefused(f"Not authorized to perform sts:AssumeRoleWithWebIdentity: {verdict.get('reason')}")


_original_web_identity = sts_responses.TokenResponse.assume_role_with_web_identity


def _assume_role_with_web_identity(self):
    if _access_control_on():
        _refuse_untrusted_web_identity(self)
    return _original_web_identity(self)


_original_authorize = ActionAuthenticatorMixin._authenticate_and_authorize_action


class _MissingAuthenticationToken(ServiceException):
    code = "MissingAuthenticationToken"


def _authorize_signed_requests(self, iam_request_cls, resource="*"):
    # Web-identity federation is unsigned by design (the token is the credential, the trust policy
    # decides); moto's access control read the missing Authorization header and answered a 500.
    if _access_control_on() and "Authorization" not in self.headers:
        if self._get_action() == "AssumeRoleWithWebIdentity":
            return
        raise _MissingAuthenticationToken("Request is missing Authentication Token")
    return _original_authorize(self, iam_request_cls, resource)


class _OidcProviderResource:
    """AWS::IAM::OIDCProvider, which moto's CloudFormation lacks: a real provider in moto's IAM, so a
    web-identity trust policy's Federated principal is its ARN and the trust evaluator can find it."""

    def __init__(self, arn):
        self.arn = arn

    @property
    def physical_resource_id(self):
        return self.arn

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name):
        return self.arn

    def is_created(self):
        return True

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json.get("Properties") or {}
        provider = iam_backends[account_id]["aws"].create_open_id_connect_provider(
            url=props["Url"],
            thumbprint_list=props.get("ThumbprintList") or [],
            client_id_list=props.get("ClientIdList") or [],
            tags=props.get("Tags") or [],
        )
        return cls(provider.arn)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        iam_backends[account_id]["aws"].delete_open_id_connect_provider(resource_name)

    def delete(self, account_id, region_name):
        iam_backends[account_id]["aws"].delete_open_id_connect_provider(self.arn)


moto_api_models.MotoAPIBackend.reset = _reset_keeping_administrator
iam_access.IAMPolicyStatement.is_action_permitted = _statement_permitted_on_actions
sts_responses.TokenResponse.assume_role_with_web_identity = _assume_role_with_web_identity
ActionAuthenticatorMixin._authenticate_and_authorize_action = _authorize_signed_requests
iam_access.IAMPolicy.__init__ = _policy_from_any_document
iam_access.IAMRequestBase.__init__ = _request_with_iam_prefix
cfn_parsing.get_model_map()["AWS::IAM::OIDCProvider"] = _OidcProviderResource
_seed_administrator()
# --- end of the IAM block ---

if __name__ == "__main__":
    main(sys.argv[1:])
