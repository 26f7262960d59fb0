#!/usr/bin/env bash
# The baseline of bench section 6: plan a pull request with the AWS CLI (v1), stack by stack, as a
# person's script would. Reads lines "<region> <stack-name> <template-file> <parameters-file>" from $1;
# $2 is the poll delay in seconds (5 s, as `aws cloudformation deploy` polls, times the bench's scale).
# A stack without changes is refused at once ("No updates are to be performed"): the script reads on.
set -uo pipefail
delay="$2"
n=0
while read -r region stack template params; do
  n=$((n + 1))
  name="cli-pr-$n-$$"
  if ! aws cloudformation create-change-set --region "$region" --stack-name "$stack" \
    --change-set-name "$name" --change-set-type UPDATE \
    --template-body "file://$template" --parameters "file://$params" \
    --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM --output text >/dev/null 2>"$params.err"; then
    grep -q "No updates are to be performed" "$params.err" && continue
    cat "$params.err" >&2
    exit 1
  fi
  while :; do
    status=$(aws cloudformation describe-change-set --region "$region" --stack-name "$stack" \
      --change-set-name "$name" --query Status --output text)
    case "$status" in CREATE_PENDING | CREATE_IN_PROGRESS) sleep "$delay" ;; *) break ;; esac
  done
  aws cloudformation describe-change-set --region "$region" --stack-name "$stack" \
    --change-set-name "$name" --output json >/dev/null
done <"$1"
