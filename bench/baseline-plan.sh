#!/usr/bin/env bash
# The baseline of bench section 1: plan stack by stack with the AWS CLI (v1), the way a person would.
# Reads lines "<region> <stack-name> <change-set-name> <template-file> <parameters-file>" from $1.
# AWS_ENDPOINT_URL and credentials come from the environment.
set -euo pipefail
while read -r region stack changeset template params; do
  aws cloudformation create-change-set --region "$region" --stack-name "$stack" \
    --change-set-name "$changeset" --change-set-type CREATE \
    --template-body "file://$template" --parameters "file://$params" \
    --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM --output text >/dev/null
  # A change set that fails (e.g. no changes) ends the waiter with an error: a person reads on.
  aws cloudformation wait change-set-create-complete --region "$region" \
    --stack-name "$stack" --change-set-name "$changeset" || true
  aws cloudformation describe-change-set --region "$region" \
    --stack-name "$stack" --change-set-name "$changeset" --output json >/dev/null
done <"$1"
