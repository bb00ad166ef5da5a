//! Table-driven evaluation cases, each naming the rule of the AWS
//! documentation it checks, parse refusals, and properties of evaluation.

use super::*;

const ACCOUNT: &str = "111122223333";
const OTHER: &str = "444455556666";
const ROOT: &str = "arn:aws:iam::111122223333:root";
const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

use Decision::{Allow as A, Deny as D, NotApplicable as N};

/// One case: the rule, one statement (JSON), the request's condition
/// context, who calls (`None`: the account root), the action, and the
/// expected decision.
struct Case {
    rule: &'static str,
    statement: &'static str,
    context: &'static [(&'static str, &'static [&'static str])],
    principal: Option<(&'static str, &'static str)>,
    action: &'static str,
    expect: Decision,
}

const fn c(
    rule: &'static str,
    statement: &'static str,
    context: &'static [(&'static str, &'static [&'static str])],
    expect: Decision,
) -> Case {
    Case { rule, statement, context, principal: None, action: "kms:Encrypt", expect }
}

const fn act(rule: &'static str, statement: &'static str, action: &'static str, expect: Decision) -> Case {
    Case { rule, statement, context: &[], principal: None, action, expect }
}

const fn who(
    rule: &'static str,
    statement: &'static str,
    principal: (&'static str, &'static str),
    expect: Decision,
) -> Case {
    Case { rule, statement, context: &[], principal: Some(principal), action: "kms:Encrypt", expect }
}

const USER: (&str, &str) = ("arn:aws:iam::111122223333:user/alice", ACCOUNT);
const ROLE: (&str, &str) = ("arn:aws:iam::111122223333:role/app", ACCOUNT);
const OTHER_ROOT: (&str, &str) = ("arn:aws:iam::444455556666:root", OTHER);
const OTHER_USER: (&str, &str) = ("arn:aws:iam::444455556666:user/bob", OTHER);

/// Shorthand for a statement allowing everything to the account root, with a condition.
macro_rules! allow_if {
    ($cond:literal) => {
        concat!(
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*","Condition":"#,
            $cond,
            "}"
        )
    };
}

const ALLOW_ROOT: &str =
    r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}"#;

fn cases() -> Vec<Case> {
    vec![
        // --- Effect and the absence of a match (Policy evaluation logic)
        c("an Allow statement that matches allows", ALLOW_ROOT, &[], A),
        c(
            "a Deny statement that matches denies",
            r#"{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*"}"#,
            &[],
            D,
        ),
        act(
            "no matching statement is an implicit deny",
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"}"#,
            "kms:Encrypt",
            N,
        ),
        // --- Principal (IAM JSON policy elements: Principal)
        who(
            "Principal * matches anyone",
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}"#,
            OTHER_USER,
            A,
        ),
        who(
            "Principal AWS * matches anyone",
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}"#,
            OTHER_USER,
            A,
        ),
        who(
            "an account id principal is the account: its root",
            r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}"#,
            (ROOT, ACCOUNT),
            A,
        ),
        who(
            "an account id principal is the account: its users",
            r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}"#,
            USER,
            A,
        ),
        who("an account root ARN principal is the whole account", ALLOW_ROOT, ROLE, A),
        who("an account principal does not match another account", ALLOW_ROOT, OTHER_ROOT, N),
        who(
            "an account allowed one action is not allowed another",
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"kms:Decrypt","Resource":"*"}"#,
            OTHER_USER,
            N,
        ),
        who(
            "a user ARN principal matches that user",
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:*","Resource":"*"}"#,
            USER,
            A,
        ),
        who(
            "a user ARN principal does not match the account root",
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:*","Resource":"*"}"#,
            (ROOT, ACCOUNT),
            N,
        ),
        who(
            "a role ARN principal matches that role",
            r#"{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/x","arn:aws:iam::111122223333:role/app"]},"Action":"kms:*","Resource":"*"}"#,
            ROLE,
            A,
        ),
        who(
            "a list of principals matches any of them",
            r#"{"Effect":"Allow","Principal":{"AWS":["444455556666","arn:aws:iam::111122223333:user/alice"]},"Action":"kms:*","Resource":"*"}"#,
            OTHER_USER,
            A,
        ),
        who(
            "a Service principal never matches an IAM caller",
            r#"{"Effect":"Allow","Principal":{"Service":"logs.amazonaws.com"},"Action":"kms:*","Resource":"*"}"#,
            USER,
            N,
        ),
        who(
            "NotPrincipal with Deny denies everyone but the named principal",
            r#"{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:*","Resource":"*"}"#,
            ROLE,
            D,
        ),
        who(
            "NotPrincipal with Deny spares the named principal",
            r#"{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:*","Resource":"*"}"#,
            USER,
            N,
        ),
        who(
            "NotPrincipal naming an account spares its principals",
            r#"{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}"#,
            USER,
            N,
        ),
        who(
            "NotPrincipal naming an account denies other accounts",
            r#"{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}"#,
            OTHER_ROOT,
            D,
        ),
        // --- Action / NotAction (IAM JSON policy elements: Action, NotAction)
        act(
            "Action matches exactly",
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:Encrypt","Resource":"*"}"#,
            "kms:Encrypt",
            A,
        ),
        act(
            "Action names are case-insensitive",
            r#"{"Effect":"Allow","Principal":"*","Action":"KMS:encrypt","Resource":"*"}"#,
            "kms:Encrypt",
            A,
        ),
        act(
            "Action * wildcard on the name",
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:Re*","Resource":"*"}"#,
            "kms:ReEncryptFrom",
            A,
        ),
        act(
            "Action wildcard does not match other names",
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:Re*","Resource":"*"}"#,
            "kms:Decrypt",
            N,
        ),
        act(
            "Action ? wildcard matches one character",
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:?ecrypt","Resource":"*"}"#,
            "kms:Decrypt",
            A,
        ),
        act(
            "Action ? does not match two characters",
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:?ncrypt","Resource":"*"}"#,
            "kms:Decrypt",
            N,
        ),
        act(
            "Action * alone matches every action",
            r#"{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}"#,
            "kms:ScheduleKeyDeletion",
            A,
        ),
        act(
            "Action list matches any member",
            r#"{"Effect":"Allow","Principal":"*","Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}"#,
            "kms:Decrypt",
            A,
        ),
        act(
            "Action of another service does not match",
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}"#,
            "kms:Decrypt",
            N,
        ),
        act(
            "NotAction matches actions not listed",
            r#"{"Effect":"Allow","Principal":"*","NotAction":"kms:ScheduleKeyDeletion","Resource":"*"}"#,
            "kms:Encrypt",
            A,
        ),
        act(
            "NotAction does not match a listed action",
            r#"{"Effect":"Allow","Principal":"*","NotAction":"kms:ScheduleKeyDeletion","Resource":"*"}"#,
            "kms:ScheduleKeyDeletion",
            N,
        ),
        act(
            "NotAction with wildcards",
            r#"{"Effect":"Deny","Principal":"*","NotAction":["kms:Encrypt","kms:Decrypt","kms:GenerateDataKey*"],"Resource":"*"}"#,
            "kms:GenerateDataKeyWithoutPlaintext",
            N,
        ),
        act(
            "Deny with NotAction denies the rest",
            r#"{"Effect":"Deny","Principal":"*","NotAction":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}"#,
            "kms:DisableKey",
            D,
        ),
        // --- Resource / NotResource
        c("Resource * in a key policy is the key itself", ALLOW_ROOT, &[], A),
        c(
            "Resource naming the key ARN",
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}"#,
            &[],
            A,
        ),
        c(
            "Resource wildcard in the ARN",
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"arn:aws:kms:*:111122223333:key/*"}"#,
            &[],
            A,
        ),
        c(
            "Resource of another account does not match",
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"arn:aws:kms:*:444455556666:key/*"}"#,
            &[],
            N,
        ),
        c(
            "Resource ARNs are case-sensitive",
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"arn:aws:kms:us-east-1:111122223333:KEY/*"}"#,
            &[],
            N,
        ),
        c(
            "NotResource matches other resources",
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","NotResource":"arn:aws:kms:*:*:alias/*"}"#,
            &[],
            A,
        ),
        c(
            "NotResource does not match a listed resource",
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","NotResource":"arn:aws:kms:*:*:key/*"}"#,
            &[],
            N,
        ),
        c(
            "Resource with a policy variable",
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"arn:aws:kms:us-east-1:${aws:PrincipalAccount}:key/*"}"#,
            &[("aws:principalaccount", &["111122223333"])],
            A,
        ),
        c(
            "Resource with a variable missing from the request matches nothing",
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"arn:aws:kms:us-east-1:${aws:PrincipalAccount}:key/*"}"#,
            &[],
            N,
        ),
        // --- String operators
        c(
            "StringEquals: equal value",
            allow_if!(r#"{"StringEquals":{"kms:EncryptionContext:dept":"finance"}}"#),
            &[("kms:encryptioncontext:dept", &["finance"])],
            A,
        ),
        c(
            "StringEquals: values are case-sensitive",
            allow_if!(r#"{"StringEquals":{"kms:EncryptionContext:dept":"finance"}}"#),
            &[("kms:encryptioncontext:dept", &["Finance"])],
            N,
        ),
        c(
            "StringEquals: condition key names are case-insensitive",
            allow_if!(r#"{"StringEquals":{"KMS:ENCRYPTIONCONTEXT:DEPT":"finance"}}"#),
            &[("kms:encryptioncontext:dept", &["finance"])],
            A,
        ),
        c(
            "StringEquals: policy values are ORed",
            allow_if!(r#"{"StringEquals":{"kms:EncryptionContext:dept":["hr","finance"]}}"#),
            &[("kms:encryptioncontext:dept", &["finance"])],
            A,
        ),
        c(
            "StringEquals: a missing key fails",
            allow_if!(r#"{"StringEquals":{"kms:EncryptionContext:dept":"finance"}}"#),
            &[],
            N,
        ),
        c(
            "StringEquals: several keys are ANDed (one fails)",
            allow_if!(
                r#"{"StringEquals":{"kms:EncryptionContext:dept":"finance","kms:EncryptionContext:project":"x"}}"#
            ),
            &[("kms:encryptioncontext:dept", &["finance"])],
            N,
        ),
        c(
            "StringEquals: several keys are ANDed (all hold)",
            allow_if!(
                r#"{"StringEquals":{"kms:EncryptionContext:dept":"finance","kms:EncryptionContext:project":"x"}}"#
            ),
            &[("kms:encryptioncontext:dept", &["finance"]), ("kms:encryptioncontext:project", &["x"])],
            A,
        ),
        c(
            "StringEquals: number values compare as strings",
            allow_if!(r#"{"StringEquals":{"kms:EncryptionContext:n":7}}"#),
            &[("kms:encryptioncontext:n", &["7"])],
            A,
        ),
        c(
            "StringNotEquals: a different value holds",
            allow_if!(r#"{"StringNotEquals":{"kms:CallerAccount":"444455556666"}}"#),
            &[("kms:calleraccount", &["111122223333"])],
            A,
        ),
        c(
            "StringNotEquals: an equal value fails",
            allow_if!(r#"{"StringNotEquals":{"kms:CallerAccount":"111122223333"}}"#),
            &[("kms:calleraccount", &["111122223333"])],
            N,
        ),
        c(
            "StringNotEquals: equal to any listed value fails",
            allow_if!(r#"{"StringNotEquals":{"kms:CallerAccount":["1","111122223333"]}}"#),
            &[("kms:calleraccount", &["111122223333"])],
            N,
        ),
        c(
            "StringNotEquals: a missing key holds",
            allow_if!(r#"{"StringNotEquals":{"kms:EncryptionContext:dept":"finance"}}"#),
            &[],
            A,
        ),
        c(
            "StringEqualsIgnoreCase: case is ignored",
            allow_if!(r#"{"StringEqualsIgnoreCase":{"kms:EncryptionContext:dept":"FINANCE"}}"#),
            &[("kms:encryptioncontext:dept", &["finance"])],
            A,
        ),
        c(
            "StringEqualsIgnoreCase: other text fails",
            allow_if!(r#"{"StringEqualsIgnoreCase":{"kms:EncryptionContext:dept":"FINANCE"}}"#),
            &[("kms:encryptioncontext:dept", &["hr"])],
            N,
        ),
        c(
            "StringNotEqualsIgnoreCase: same text in another case fails",
            allow_if!(r#"{"StringNotEqualsIgnoreCase":{"kms:EncryptionContext:dept":"FINANCE"}}"#),
            &[("kms:encryptioncontext:dept", &["finance"])],
            N,
        ),
        c(
            "StringNotEqualsIgnoreCase: other text holds",
            allow_if!(r#"{"StringNotEqualsIgnoreCase":{"kms:EncryptionContext:dept":"FINANCE"}}"#),
            &[("kms:encryptioncontext:dept", &["hr"])],
            A,
        ),
        c(
            "StringLike: * wildcard",
            allow_if!(r#"{"StringLike":{"kms:RequestAlias":"alias/app-*"}}"#),
            &[("kms:requestalias", &["alias/app-prod"])],
            A,
        ),
        c(
            "StringLike: ? wildcard",
            allow_if!(r#"{"StringLike":{"kms:RequestAlias":"alias/app-?"}}"#),
            &[("kms:requestalias", &["alias/app-1"])],
            A,
        ),
        c(
            "StringLike: no match",
            allow_if!(r#"{"StringLike":{"kms:RequestAlias":"alias/app-*"}}"#),
            &[("kms:requestalias", &["alias/web"])],
            N,
        ),
        c(
            "StringLike: the whole value must match",
            allow_if!(r#"{"StringLike":{"kms:RequestAlias":"app"}}"#),
            &[("kms:requestalias", &["alias/app"])],
            N,
        ),
        c(
            "StringNotLike: a non-matching value holds",
            allow_if!(r#"{"StringNotLike":{"kms:RequestAlias":"alias/test-*"}}"#),
            &[("kms:requestalias", &["alias/prod"])],
            A,
        ),
        c(
            "StringNotLike: a matching value fails",
            allow_if!(r#"{"StringNotLike":{"kms:RequestAlias":"alias/test-*"}}"#),
            &[("kms:requestalias", &["alias/test-1"])],
            N,
        ),
        c(
            "StringLike with ${*}: a literal asterisk",
            allow_if!(r#"{"StringLike":{"kms:EncryptionContext:p":"a${*}b"}}"#),
            &[("kms:encryptioncontext:p", &["a*b"])],
            A,
        ),
        c(
            "StringLike with ${*}: not a wildcard",
            allow_if!(r#"{"StringLike":{"kms:EncryptionContext:p":"a${*}b"}}"#),
            &[("kms:encryptioncontext:p", &["axxb"])],
            N,
        ),
        c(
            "StringEquals with ${aws:username}",
            allow_if!(r#"{"StringEquals":{"kms:EncryptionContext:owner":"${aws:username}"}}"#),
            &[("kms:encryptioncontext:owner", &["alice"]), ("aws:username", &["alice"])],
            A,
        ),
        c(
            "StringEquals with ${aws:username} of someone else",
            allow_if!(r#"{"StringEquals":{"kms:EncryptionContext:owner":"${aws:username}"}}"#),
            &[("kms:encryptioncontext:owner", &["alice"]), ("aws:username", &["bob"])],
            N,
        ),
        c(
            "a variable with a default value",
            allow_if!(r#"{"StringEquals":{"kms:EncryptionContext:owner":"${aws:username, 'nobody'}"}}"#),
            &[("kms:encryptioncontext:owner", &["nobody"])],
            A,
        ),
        c(
            "${$} is a literal dollar",
            allow_if!(r#"{"StringEquals":{"kms:EncryptionContext:price":"${$}5"}}"#),
            &[("kms:encryptioncontext:price", &["$5"])],
            A,
        ),
        // --- …IfExists
        c(
            "StringEqualsIfExists: a missing key holds",
            allow_if!(r#"{"StringEqualsIfExists":{"kms:EncryptionContext:dept":"finance"}}"#),
            &[],
            A,
        ),
        c(
            "StringEqualsIfExists: a present key is tested",
            allow_if!(r#"{"StringEqualsIfExists":{"kms:EncryptionContext:dept":"finance"}}"#),
            &[("kms:encryptioncontext:dept", &["hr"])],
            N,
        ),
        c(
            "StringNotEqualsIfExists: a missing key holds",
            allow_if!(r#"{"StringNotEqualsIfExists":{"kms:EncryptionContext:dept":"finance"}}"#),
            &[],
            A,
        ),
        c(
            "NumericLessThanIfExists: a missing key holds",
            allow_if!(r#"{"NumericLessThanIfExists":{"kms:ScheduleKeyDeletionPendingWindowInDays":"10"}}"#),
            &[],
            A,
        ),
        c(
            "ArnLikeIfExists: a present key is tested",
            allow_if!(r#"{"ArnLikeIfExists":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}}"#),
            &[("aws:principalarn", &["arn:aws:iam::111122223333:user/alice"])],
            N,
        ),
        // --- Numeric operators
        c(
            "NumericEquals: equal",
            allow_if!(r#"{"NumericEquals":{"kms:RotationPeriodInDays":"365"}}"#),
            &[("kms:rotationperiodindays", &["365"])],
            A,
        ),
        c(
            "NumericEquals: numbers compare as numbers",
            allow_if!(r#"{"NumericEquals":{"kms:RotationPeriodInDays":365}}"#),
            &[("kms:rotationperiodindays", &["365.0"])],
            A,
        ),
        c(
            "NumericEquals: different",
            allow_if!(r#"{"NumericEquals":{"kms:RotationPeriodInDays":"365"}}"#),
            &[("kms:rotationperiodindays", &["90"])],
            N,
        ),
        c(
            "NumericNotEquals: different holds",
            allow_if!(r#"{"NumericNotEquals":{"kms:RotationPeriodInDays":"365"}}"#),
            &[("kms:rotationperiodindays", &["90"])],
            A,
        ),
        c(
            "NumericNotEquals: equal fails",
            allow_if!(r#"{"NumericNotEquals":{"kms:RotationPeriodInDays":"365"}}"#),
            &[("kms:rotationperiodindays", &["365"])],
            N,
        ),
        c(
            "NumericLessThan: less holds",
            allow_if!(r#"{"NumericLessThan":{"kms:ScheduleKeyDeletionPendingWindowInDays":"30"}}"#),
            &[("kms:schedulekeydeletionpendingwindowindays", &["7"])],
            A,
        ),
        c(
            "NumericLessThan: equal fails",
            allow_if!(r#"{"NumericLessThan":{"kms:ScheduleKeyDeletionPendingWindowInDays":"30"}}"#),
            &[("kms:schedulekeydeletionpendingwindowindays", &["30"])],
            N,
        ),
        c(
            "NumericLessThanEquals: equal holds",
            allow_if!(r#"{"NumericLessThanEquals":{"kms:ScheduleKeyDeletionPendingWindowInDays":"30"}}"#),
            &[("kms:schedulekeydeletionpendingwindowindays", &["30"])],
            A,
        ),
        c(
            "NumericGreaterThan: greater holds",
            allow_if!(r#"{"NumericGreaterThan":{"kms:ScheduleKeyDeletionPendingWindowInDays":"20"}}"#),
            &[("kms:schedulekeydeletionpendingwindowindays", &["21"])],
            A,
        ),
        c(
            "NumericGreaterThan: equal fails",
            allow_if!(r#"{"NumericGreaterThan":{"kms:ScheduleKeyDeletionPendingWindowInDays":"20"}}"#),
            &[("kms:schedulekeydeletionpendingwindowindays", &["20"])],
            N,
        ),
        c(
            "NumericGreaterThanEquals: equal holds",
            allow_if!(r#"{"NumericGreaterThanEquals":{"kms:ScheduleKeyDeletionPendingWindowInDays":"20"}}"#),
            &[("kms:schedulekeydeletionpendingwindowindays", &["20"])],
            A,
        ),
        c(
            "NumericGreaterThanEquals: less fails",
            allow_if!(r#"{"NumericGreaterThanEquals":{"kms:ScheduleKeyDeletionPendingWindowInDays":"20"}}"#),
            &[("kms:schedulekeydeletionpendingwindowindays", &["19"])],
            N,
        ),
        c(
            "Numeric: a non-number request value fails",
            allow_if!(r#"{"NumericEquals":{"kms:RotationPeriodInDays":"365"}}"#),
            &[("kms:rotationperiodindays", &["many"])],
            N,
        ),
        c(
            "Numeric: a missing key fails",
            allow_if!(r#"{"NumericLessThan":{"kms:RotationPeriodInDays":"365"}}"#),
            &[],
            N,
        ),
        // --- Date operators
        c(
            "DateLessThan: earlier holds",
            allow_if!(r#"{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}"#),
            &[("aws:currenttime", &["2026-12-01T10:00:00Z"])],
            A,
        ),
        c(
            "DateLessThan: later fails",
            allow_if!(r#"{"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}"#),
            &[("aws:currenttime", &["2026-12-01T10:00:00Z"])],
            N,
        ),
        c(
            "DateGreaterThan: later holds",
            allow_if!(r#"{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01"}}"#),
            &[("aws:currenttime", &["2026-12-01T10:00:00Z"])],
            A,
        ),
        c(
            "DateGreaterThanEquals: same instant holds",
            allow_if!(r#"{"DateGreaterThanEquals":{"aws:CurrentTime":"2026-12-01T10:00:00Z"}}"#),
            &[("aws:currenttime", &["2026-12-01T10:00:00Z"])],
            A,
        ),
        c(
            "DateLessThanEquals: same instant holds",
            allow_if!(r#"{"DateLessThanEquals":{"aws:CurrentTime":"2026-12-01T10:00:00Z"}}"#),
            &[("aws:currenttime", &["2026-12-01T10:00:00Z"])],
            A,
        ),
        c(
            "DateEquals: another zone, same instant",
            allow_if!(r#"{"DateEquals":{"aws:CurrentTime":"2026-12-01T11:00:00+01:00"}}"#),
            &[("aws:currenttime", &["2026-12-01T10:00:00Z"])],
            A,
        ),
        c(
            "DateNotEquals: another instant holds",
            allow_if!(r#"{"DateNotEquals":{"aws:CurrentTime":"2026-12-01T11:00:00Z"}}"#),
            &[("aws:currenttime", &["2026-12-01T10:00:00Z"])],
            A,
        ),
        c(
            "Date: epoch seconds in the policy",
            allow_if!(r#"{"DateLessThan":{"aws:EpochTime":"2000000000"}}"#),
            &[("aws:epochtime", &["1796114400"])],
            A,
        ),
        c(
            "Date: epoch seconds against an ISO time",
            allow_if!(r#"{"DateGreaterThan":{"aws:CurrentTime":"1000000000"}}"#),
            &[("aws:currenttime", &["2026-12-01T10:00:00Z"])],
            A,
        ),
        c(
            "Date: an unparsable value fails",
            allow_if!(r#"{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}"#),
            &[("aws:currenttime", &["2026-12-01T10:00:00Z"])],
            N,
        ),
        // --- Bool, Binary
        c(
            "Bool true holds for true",
            allow_if!(r#"{"Bool":{"aws:SecureTransport":"true"}}"#),
            &[("aws:securetransport", &["true"])],
            A,
        ),
        c(
            "Bool true fails for false",
            allow_if!(r#"{"Bool":{"aws:SecureTransport":"true"}}"#),
            &[("aws:securetransport", &["false"])],
            N,
        ),
        c(
            "Bool accepts a JSON boolean",
            allow_if!(r#"{"Bool":{"kms:GrantIsForAWSResource":true}}"#),
            &[("kms:grantisforawsresource", &["true"])],
            A,
        ),
        c("Bool: a missing key fails", allow_if!(r#"{"Bool":{"aws:SecureTransport":"false"}}"#), &[], N),
        c(
            "BoolIfExists: a missing key holds",
            allow_if!(r#"{"BoolIfExists":{"aws:SecureTransport":"false"}}"#),
            &[],
            A,
        ),
        c(
            "BinaryEquals: equal base64",
            allow_if!(r#"{"BinaryEquals":{"kms:EncryptionContext:blob":"QmluYXJ5"}}"#),
            &[("kms:encryptioncontext:blob", &["QmluYXJ5"])],
            A,
        ),
        c(
            "BinaryEquals: different bytes",
            allow_if!(r#"{"BinaryEquals":{"kms:EncryptionContext:blob":"QmluYXJ5"}}"#),
            &[("kms:encryptioncontext:blob", &["QmluYXJ6"])],
            N,
        ),
        // --- IpAddress
        c(
            "IpAddress: inside the CIDR",
            allow_if!(r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#),
            &[("aws:sourceip", &["203.0.113.7"])],
            A,
        ),
        c(
            "IpAddress: outside the CIDR",
            allow_if!(r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#),
            &[("aws:sourceip", &["203.0.114.7"])],
            N,
        ),
        c(
            "IpAddress: a bare address is /32",
            allow_if!(r#"{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}"#),
            &[("aws:sourceip", &["203.0.113.7"])],
            A,
        ),
        c(
            "IpAddress: /0 matches every IPv4 address",
            allow_if!(r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#),
            &[("aws:sourceip", &["198.51.100.1"])],
            A,
        ),
        c(
            "IpAddress: IPv6 CIDR",
            allow_if!(r#"{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}"#),
            &[("aws:sourceip", &["2001:db8:1::5"])],
            A,
        ),
        c(
            "IpAddress: IPv4 request against an IPv6 block",
            allow_if!(r#"{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}"#),
            &[("aws:sourceip", &["203.0.113.7"])],
            N,
        ),
        c(
            "IpAddress: any of several blocks",
            allow_if!(r#"{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","203.0.113.0/24"]}}"#),
            &[("aws:sourceip", &["10.1.2.3"])],
            A,
        ),
        c(
            "NotIpAddress: outside holds",
            allow_if!(r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#),
            &[("aws:sourceip", &["203.0.113.7"])],
            A,
        ),
        c(
            "NotIpAddress: inside fails",
            allow_if!(r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#),
            &[("aws:sourceip", &["10.0.0.1"])],
            N,
        ),
        // --- Arn operators
        c(
            "ArnEquals: the same ARN",
            allow_if!(r#"{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/app"}}"#),
            &[("aws:principalarn", &["arn:aws:iam::111122223333:role/app"])],
            A,
        ),
        c(
            "ArnLike: wildcard in the account segment",
            allow_if!(r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/app"}}"#),
            &[("aws:principalarn", &["arn:aws:iam::444455556666:role/app"])],
            A,
        ),
        c(
            "ArnLike: wildcard in the resource segment",
            allow_if!(r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/*"}}"#),
            &[("aws:principalarn", &["arn:aws:iam::111122223333:role/app"])],
            A,
        ),
        c(
            "ArnLike: a wildcard does not cross a segment",
            allow_if!(r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:*"}}"#),
            &[("aws:principalarn", &["arn:aws:iam::111122223333:role/app"])],
            N,
        ),
        c(
            "ArnLike: a malformed ARN fails",
            allow_if!(r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}}"#),
            &[("aws:principalarn", &["not-an-arn"])],
            N,
        ),
        c(
            "ArnNotEquals: another ARN holds",
            allow_if!(r#"{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/app"}}"#),
            &[("aws:principalarn", &["arn:aws:iam::111122223333:role/web"])],
            A,
        ),
        c(
            "ArnNotLike: a matching ARN fails",
            allow_if!(r#"{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/*"}}"#),
            &[("aws:principalarn", &["arn:aws:iam::111122223333:role/web"])],
            N,
        ),
        // --- Null
        c("Null true: a missing key holds", allow_if!(r#"{"Null":{"kms:EncryptionContextKeys":"true"}}"#), &[], A),
        c(
            "Null true: a present key fails",
            allow_if!(r#"{"Null":{"kms:EncryptionContextKeys":"true"}}"#),
            &[("kms:encryptioncontextkeys", &["dept"])],
            N,
        ),
        c(
            "Null false: a present key holds",
            allow_if!(r#"{"Null":{"kms:EncryptionContextKeys":"false"}}"#),
            &[("kms:encryptioncontextkeys", &["dept"])],
            A,
        ),
        c("Null false: a missing key fails", allow_if!(r#"{"Null":{"kms:EncryptionContextKeys":"false"}}"#), &[], N),
        c(
            "Null accepts a JSON boolean",
            allow_if!(r#"{"Null":{"kms:EncryptionContextKeys":false}}"#),
            &[("kms:encryptioncontextkeys", &["dept"])],
            A,
        ),
        // --- Set operators on multivalued keys
        c(
            "ForAnyValue:StringEquals: one value matches",
            allow_if!(r#"{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":"dept"}}"#),
            &[("kms:encryptioncontextkeys", &["project", "dept"])],
            A,
        ),
        c(
            "ForAnyValue:StringEquals: none match",
            allow_if!(r#"{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":"dept"}}"#),
            &[("kms:encryptioncontextkeys", &["project"])],
            N,
        ),
        c(
            "ForAnyValue: a missing key fails",
            allow_if!(r#"{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":"dept"}}"#),
            &[],
            N,
        ),
        c(
            "ForAnyValue:StringLike",
            allow_if!(r#"{"ForAnyValue:StringLike":{"kms:EncryptionContextKeys":"app-*"}}"#),
            &[("kms:encryptioncontextkeys", &["x", "app-id"])],
            A,
        ),
        c(
            "ForAnyValue:StringNotEquals: some value differs",
            allow_if!(r#"{"ForAnyValue:StringNotEquals":{"kms:EncryptionContextKeys":"dept"}}"#),
            &[("kms:encryptioncontextkeys", &["dept", "x"])],
            A,
        ),
        c(
            "ForAnyValue:StringNotEquals: every value listed fails",
            allow_if!(r#"{"ForAnyValue:StringNotEquals":{"kms:EncryptionContextKeys":"dept"}}"#),
            &[("kms:encryptioncontextkeys", &["dept"])],
            N,
        ),
        c(
            "ForAllValues:StringEquals: every value listed",
            allow_if!(r#"{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["dept","project"]}}"#),
            &[("kms:encryptioncontextkeys", &["dept", "project"])],
            A,
        ),
        c(
            "ForAllValues:StringEquals: one value not listed",
            allow_if!(r#"{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["dept","project"]}}"#),
            &[("kms:encryptioncontextkeys", &["dept", "owner"])],
            N,
        ),
        c(
            "ForAllValues: a missing key holds",
            allow_if!(r#"{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["dept"]}}"#),
            &[],
            A,
        ),
        c(
            "ForAllValues:StringLike",
            allow_if!(r#"{"ForAllValues:StringLike":{"aws:TagKeys":"team-*"}}"#),
            &[("aws:tagkeys", &["team-a", "team-b"])],
            A,
        ),
        c(
            "ForAllValues:StringNotEquals: no value listed holds",
            allow_if!(r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["owner"]}}"#),
            &[("aws:tagkeys", &["team", "cost"])],
            A,
        ),
        c(
            "ForAllValues:StringNotEquals: a listed value fails",
            allow_if!(r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["owner"]}}"#),
            &[("aws:tagkeys", &["team", "owner"])],
            N,
        ),
        c(
            "ForAnyValue:StringEqualsIfExists: missing holds",
            allow_if!(r#"{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"x"}}"#),
            &[],
            A,
        ),
        c(
            "multivalued key without a set operator: any value matches",
            allow_if!(r#"{"StringEquals":{"aws:TagKeys":"team"}}"#),
            &[("aws:tagkeys", &["cost", "team"])],
            A,
        ),
        c(
            "multivalued key with a negated operator: no value may match",
            allow_if!(r#"{"StringNotEquals":{"aws:TagKeys":"team"}}"#),
            &[("aws:tagkeys", &["cost", "team"])],
            N,
        ),
        // --- Operators AND
        c(
            "two operators: both hold",
            allow_if!(r#"{"StringEquals":{"kms:CallerAccount":"111122223333"},"Bool":{"aws:SecureTransport":"true"}}"#),
            &[("kms:calleraccount", &["111122223333"]), ("aws:securetransport", &["true"])],
            A,
        ),
        c(
            "two operators: one fails",
            allow_if!(r#"{"StringEquals":{"kms:CallerAccount":"111122223333"},"Bool":{"aws:SecureTransport":"true"}}"#),
            &[("kms:calleraccount", &["111122223333"]), ("aws:securetransport", &["false"])],
            N,
        ),
        // --- KMS condition keys (AWS KMS Developer Guide: condition keys)
        c(
            "kms:EncryptionAlgorithm",
            allow_if!(r#"{"StringEquals":{"kms:EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}}"#),
            &[("kms:encryptionalgorithm", &["SYMMETRIC_DEFAULT"])],
            A,
        ),
        c(
            "kms:SigningAlgorithm",
            allow_if!(r#"{"StringLike":{"kms:SigningAlgorithm":"ECDSA_*"}}"#),
            &[("kms:signingalgorithm", &["RSASSA_PSS_SHA_256"])],
            N,
        ),
        c(
            "kms:MacAlgorithm",
            allow_if!(r#"{"StringEquals":{"kms:MacAlgorithm":"HMAC_SHA_256"}}"#),
            &[("kms:macalgorithm", &["HMAC_SHA_256"])],
            A,
        ),
        c(
            "kms:MessageType",
            allow_if!(r#"{"StringEquals":{"kms:MessageType":"DIGEST"}}"#),
            &[("kms:messagetype", &["RAW"])],
            N,
        ),
        c("kms:KeySpec", allow_if!(r#"{"StringLike":{"kms:KeySpec":"RSA_*"}}"#), &[("kms:keyspec", &["RSA_4096"])], A),
        c(
            "kms:KeyUsage",
            allow_if!(r#"{"StringEquals":{"kms:KeyUsage":"SIGN_VERIFY"}}"#),
            &[("kms:keyusage", &["ENCRYPT_DECRYPT"])],
            N,
        ),
        c(
            "kms:KeyOrigin",
            allow_if!(r#"{"StringEquals":{"kms:KeyOrigin":"EXTERNAL"}}"#),
            &[("kms:keyorigin", &["EXTERNAL"])],
            A,
        ),
        c(
            "kms:ReEncryptOnSameKey",
            allow_if!(r#"{"Bool":{"kms:ReEncryptOnSameKey":"true"}}"#),
            &[("kms:reencryptonsamekey", &["false"])],
            N,
        ),
        c(
            "kms:GrantOperations with ForAllValues",
            allow_if!(r#"{"ForAllValues:StringEquals":{"kms:GrantOperations":["Encrypt","Decrypt"]}}"#),
            &[("kms:grantoperations", &["Decrypt"])],
            A,
        ),
        c(
            "kms:GrantOperations beyond the list",
            allow_if!(r#"{"ForAllValues:StringEquals":{"kms:GrantOperations":["Encrypt","Decrypt"]}}"#),
            &[("kms:grantoperations", &["Decrypt", "CreateGrant"])],
            N,
        ),
        c(
            "kms:GranteePrincipal",
            allow_if!(r#"{"StringLike":{"kms:GranteePrincipal":"arn:aws:iam::111122223333:role/*"}}"#),
            &[("kms:granteeprincipal", &["arn:aws:iam::111122223333:role/app"])],
            A,
        ),
        c(
            "kms:RetiringPrincipal",
            allow_if!(r#"{"StringEquals":{"kms:RetiringPrincipal":"arn:aws:iam::111122223333:role/app"}}"#),
            &[],
            N,
        ),
        c(
            "kms:ViaService: absent for direct calls",
            allow_if!(r#"{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}"#),
            &[],
            N,
        ),
        c(
            "kms:ResourceAliases with ForAnyValue",
            allow_if!(r#"{"ForAnyValue:StringLike":{"kms:ResourceAliases":"alias/finance-*"}}"#),
            &[("kms:resourcealiases", &["alias/finance-key", "alias/other"])],
            A,
        ),
        c(
            "kms:CallerAccount of another account",
            allow_if!(r#"{"StringEquals":{"kms:CallerAccount":"111122223333"}}"#),
            &[("kms:calleraccount", &["444455556666"])],
            N,
        ),
        c(
            "kms:EncryptionContext with a key of any case in the policy",
            allow_if!(r#"{"StringEquals":{"kms:EncryptionContext:Dept":"finance"}}"#),
            &[("kms:encryptioncontext:dept", &["finance"])],
            A,
        ),
        // --- Global keys
        c(
            "aws:PrincipalType",
            allow_if!(r#"{"StringEquals":{"aws:PrincipalType":"Account"}}"#),
            &[("aws:principaltype", &["Account"])],
            A,
        ),
        c(
            "aws:PrincipalAccount",
            allow_if!(r#"{"StringEquals":{"aws:PrincipalAccount":"444455556666"}}"#),
            &[("aws:principalaccount", &["111122223333"])],
            N,
        ),
        c(
            "aws:ResourceTag",
            allow_if!(r#"{"StringEquals":{"aws:ResourceTag/env":"prod"}}"#),
            &[("aws:resourcetag/env", &["prod"])],
            A,
        ),
        c(
            "aws:RequestTag",
            allow_if!(r#"{"StringEquals":{"aws:RequestTag/env":"prod"}}"#),
            &[("aws:requesttag/env", &["dev"])],
            N,
        ),
        c(
            "aws:PrincipalTag",
            allow_if!(r#"{"StringEquals":{"aws:PrincipalTag/team":"${aws:ResourceTag/team}"}}"#),
            &[("aws:principaltag/team", &["blue"]), ("aws:resourcetag/team", &["blue"])],
            A,
        ),
        c("aws:userid", allow_if!(r#"{"StringLike":{"aws:userid":"AIDA*"}}"#), &[("aws:userid", &["AIDAEXAMPLE"])], A),
        c(
            "a condition key of another service is allowed and simply absent",
            allow_if!(r#"{"StringEquals":{"s3:prefix":"home/"}}"#),
            &[],
            N,
        ),
        // --- More principal forms
        who(
            "an assumed-role ARN principal matches that session",
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/app/s1"},"Action":"kms:*","Resource":"*"}"#,
            ("arn:aws:sts::111122223333:assumed-role/app/s1", ACCOUNT),
            A,
        ),
        who(
            "an assumed-role ARN does not match another session",
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/app/s1"},"Action":"kms:*","Resource":"*"}"#,
            ("arn:aws:sts::111122223333:assumed-role/app/s2", ACCOUNT),
            N,
        ),
        who(
            "a federated-user ARN principal",
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111122223333:federated-user/eve"},"Action":"kms:*","Resource":"*"}"#,
            ("arn:aws:sts::111122223333:federated-user/eve", ACCOUNT),
            A,
        ),
        who(
            "a user path in the principal ARN",
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/dev/alice"},"Action":"kms:*","Resource":"*"}"#,
            ("arn:aws:iam::111122223333:user/dev/alice", ACCOUNT),
            A,
        ),
        who(
            "principal ARNs are exact: no wildcard matching",
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/dev/alice"},"Action":"kms:*","Resource":"*"}"#,
            ("arn:aws:iam::111122223333:user/dev/alice2", ACCOUNT),
            N,
        ),
        who(
            "a Principal mixing AWS and Service matches the AWS one",
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root","Service":"s3.amazonaws.com"},"Action":"kms:*","Resource":"*"}"#,
            USER,
            A,
        ),
        who(
            "Deny to an account denies its users",
            r#"{"Effect":"Deny","Principal":{"AWS":"444455556666"},"Action":"kms:*","Resource":"*"}"#,
            OTHER_USER,
            D,
        ),
        who(
            "Deny to a user spares other users",
            r#"{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:*","Resource":"*"}"#,
            ROLE,
            N,
        ),
        who(
            "Deny to * denies another account",
            r#"{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*"}"#,
            OTHER_ROOT,
            D,
        ),
        // --- More action patterns
        act(
            "Action with several wildcards",
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:*Data*","Resource":"*"}"#,
            "kms:GenerateDataKeyPairWithoutPlaintext",
            A,
        ),
        act(
            "Action wildcard in the service part",
            r#"{"Effect":"Allow","Principal":"*","Action":"km?:Encrypt","Resource":"*"}"#,
            "kms:Encrypt",
            A,
        ),
        act(
            "Action kms:* does not match another service",
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}"#,
            "s3:GetObject",
            N,
        ),
        act(
            "Action kms:Get* matches GetPublicKey",
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:Get*","Resource":"*"}"#,
            "kms:GetPublicKey",
            A,
        ),
        act(
            "Action kms:Get* does not match ListGrants",
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:Get*","Resource":"*"}"#,
            "kms:ListGrants",
            N,
        ),
        act(
            "Action kms:List* matches ListRetirableGrants",
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:List*","Resource":"*"}"#,
            "kms:ListRetirableGrants",
            A,
        ),
        act(
            "NotAction * matches nothing",
            r#"{"Effect":"Allow","Principal":"*","NotAction":"*","Resource":"*"}"#,
            "kms:Encrypt",
            N,
        ),
        act(
            "NotAction of another service matches every kms action",
            r#"{"Effect":"Allow","Principal":"*","NotAction":"s3:*","Resource":"*"}"#,
            "kms:Decrypt",
            A,
        ),
        act(
            "Deny kms:Schedule* protects deletion",
            r#"{"Effect":"Deny","Principal":"*","Action":"kms:Schedule*","Resource":"*"}"#,
            "kms:ScheduleKeyDeletion",
            D,
        ),
        act(
            "Deny kms:Schedule* leaves CancelKeyDeletion",
            r#"{"Effect":"Deny","Principal":"*","Action":"kms:Schedule*","Resource":"*"}"#,
            "kms:CancelKeyDeletion",
            N,
        ),
        // --- More resources
        c(
            "Resource list matches any",
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":["arn:aws:kms:*:*:alias/x","arn:aws:kms:us-east-1:111122223333:key/*"]}"#,
            &[],
            A,
        ),
        c(
            "Resource with ? in the key id",
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890a?"}"#,
            &[],
            A,
        ),
        c(
            "Resource of another region",
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"arn:aws:kms:eu-west-1:111122223333:key/*"}"#,
            &[],
            N,
        ),
        c("Resource * alone", r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}"#, &[], A),
        c(
            "NotResource * matches nothing",
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","NotResource":"*"}"#,
            &[],
            N,
        ),
        c(
            "Resource with ${aws:username}",
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"arn:aws:kms:us-east-1:111122223333:key/${aws:username}*"}"#,
            &[("aws:username", &["1234abcd"])],
            A,
        ),
        // --- More String cases
        c(
            "StringEquals: the empty string",
            allow_if!(r#"{"StringEquals":{"kms:EncryptionContext:tag":""}}"#),
            &[("kms:encryptioncontext:tag", &[""])],
            A,
        ),
        c(
            "StringLike: * matches the empty string",
            allow_if!(r#"{"StringLike":{"kms:EncryptionContext:tag":"*"}}"#),
            &[("kms:encryptioncontext:tag", &[""])],
            A,
        ),
        c(
            "StringLike: several wildcards",
            allow_if!(r#"{"StringLike":{"kms:RequestAlias":"alias/*-*-prod"}}"#),
            &[("kms:requestalias", &["alias/a-b-prod"])],
            A,
        ),
        c(
            "StringLike: case-sensitive",
            allow_if!(r#"{"StringLike":{"kms:RequestAlias":"alias/App*"}}"#),
            &[("kms:requestalias", &["alias/app1"])],
            N,
        ),
        c(
            "StringLike with ${?}: a literal question mark",
            allow_if!(r#"{"StringLike":{"kms:EncryptionContext:q":"why${?}"}}"#),
            &[("kms:encryptioncontext:q", &["why?"])],
            A,
        ),
        c(
            "StringLike with ${?}: not a wildcard",
            allow_if!(r#"{"StringLike":{"kms:EncryptionContext:q":"why${?}"}}"#),
            &[("kms:encryptioncontext:q", &["whyx"])],
            N,
        ),
        c(
            "StringNotEqualsIgnoreCase: missing key holds",
            allow_if!(r#"{"StringNotEqualsIgnoreCase":{"kms:EncryptionContext:dept":"x"}}"#),
            &[],
            A,
        ),
        c(
            "StringNotLike: missing key holds",
            allow_if!(r#"{"StringNotLike":{"kms:RequestAlias":"alias/x*"}}"#),
            &[],
            A,
        ),
        c(
            "StringNotLikeIfExists: present and matching fails",
            allow_if!(r#"{"StringNotLikeIfExists":{"kms:RequestAlias":"alias/x*"}}"#),
            &[("kms:requestalias", &["alias/xy"])],
            N,
        ),
        c(
            "StringEqualsIgnoreCaseIfExists: missing holds",
            allow_if!(r#"{"StringEqualsIgnoreCaseIfExists":{"kms:RequestAlias":"ALIAS/X"}}"#),
            &[],
            A,
        ),
        c(
            "StringLikeIfExists: present and matching holds",
            allow_if!(r#"{"StringLikeIfExists":{"kms:RequestAlias":"alias/x*"}}"#),
            &[("kms:requestalias", &["alias/xy"])],
            A,
        ),
        c(
            "an unknown variable matches nothing",
            allow_if!(r#"{"StringEquals":{"kms:EncryptionContext:o":"${aws:nosuchkey}"}}"#),
            &[("kms:encryptioncontext:o", &[""])],
            N,
        ),
        // --- More numeric and date cases
        c(
            "Numeric: negative numbers",
            allow_if!(r#"{"NumericLessThan":{"kms:EncryptionContext:n":"0"}}"#),
            &[("kms:encryptioncontext:n", &["-5"])],
            A,
        ),
        c(
            "Numeric: decimals",
            allow_if!(r#"{"NumericGreaterThan":{"kms:EncryptionContext:n":"1.5"}}"#),
            &[("kms:encryptioncontext:n", &["1.75"])],
            A,
        ),
        c(
            "NumericEqualsIfExists: missing holds",
            allow_if!(r#"{"NumericEqualsIfExists":{"kms:RotationPeriodInDays":"90"}}"#),
            &[],
            A,
        ),
        c(
            "NumericNotEquals: missing holds",
            allow_if!(r#"{"NumericNotEquals":{"kms:RotationPeriodInDays":"90"}}"#),
            &[],
            A,
        ),
        c(
            "NumericGreaterThanEqualsIfExists: present and lower fails",
            allow_if!(r#"{"NumericGreaterThanEqualsIfExists":{"kms:RotationPeriodInDays":"180"}}"#),
            &[("kms:rotationperiodindays", &["90"])],
            N,
        ),
        c(
            "Numeric: any listed value",
            allow_if!(r#"{"NumericEquals":{"kms:RotationPeriodInDays":["90","365"]}}"#),
            &[("kms:rotationperiodindays", &["365"])],
            A,
        ),
        c(
            "DateLessThanEquals: a day boundary",
            allow_if!(r#"{"DateLessThanEquals":{"aws:CurrentTime":"2026-12-01"}}"#),
            &[("aws:currenttime", &["2026-12-01T00:00:00Z"])],
            A,
        ),
        c(
            "Date: without a zone is UTC",
            allow_if!(r#"{"DateEquals":{"aws:CurrentTime":"2026-12-01T10:00:00"}}"#),
            &[("aws:currenttime", &["2026-12-01T10:00:00Z"])],
            A,
        ),
        c(
            "Date: fractional seconds",
            allow_if!(r#"{"DateGreaterThan":{"aws:CurrentTime":"2026-12-01T10:00:00Z"}}"#),
            &[("aws:currenttime", &["2026-12-01T10:00:00.5Z"])],
            A,
        ),
        c("DateNotEquals: missing holds", allow_if!(r#"{"DateNotEquals":{"aws:CurrentTime":"2026-12-01"}}"#), &[], A),
        c(
            "DateGreaterThanIfExists: missing holds",
            allow_if!(r#"{"DateGreaterThanIfExists":{"aws:CurrentTime":"2030-01-01"}}"#),
            &[],
            A,
        ),
        c(
            "DateLessThan: a missing key fails",
            allow_if!(r#"{"DateLessThan":{"aws:CurrentTime":"2030-01-01"}}"#),
            &[],
            N,
        ),
        // --- More Bool, Binary, IP, ARN, Null
        c(
            "Bool values are case-insensitive",
            allow_if!(r#"{"Bool":{"aws:SecureTransport":"TRUE"}}"#),
            &[("aws:securetransport", &["true"])],
            A,
        ),
        c(
            "BinaryEquals: a missing key fails",
            allow_if!(r#"{"BinaryEquals":{"kms:EncryptionContext:b":"AA=="}}"#),
            &[],
            N,
        ),
        c(
            "BinaryEqualsIfExists: missing holds",
            allow_if!(r#"{"BinaryEqualsIfExists":{"kms:EncryptionContext:b":"AA=="}}"#),
            &[],
            A,
        ),
        c(
            "IpAddress: /16 boundary inside",
            allow_if!(r#"{"IpAddress":{"aws:SourceIp":"10.1.0.0/16"}}"#),
            &[("aws:sourceip", &["10.1.255.255"])],
            A,
        ),
        c(
            "IpAddress: /16 boundary outside",
            allow_if!(r#"{"IpAddress":{"aws:SourceIp":"10.1.0.0/16"}}"#),
            &[("aws:sourceip", &["10.2.0.0"])],
            N,
        ),
        c(
            "IpAddress: a malformed request address fails",
            allow_if!(r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#),
            &[("aws:sourceip", &["not-an-ip"])],
            N,
        ),
        c("IpAddress: a missing key fails", allow_if!(r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#), &[], N),
        c("NotIpAddress: a missing key holds", allow_if!(r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#), &[], A),
        c(
            "IpAddressIfExists: missing holds",
            allow_if!(r#"{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}"#),
            &[],
            A,
        ),
        c(
            "IpAddress: IPv6 outside",
            allow_if!(r#"{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}"#),
            &[("aws:sourceip", &["2001:db9::1"])],
            N,
        ),
        c(
            "ArnLike: ? wildcard",
            allow_if!(r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::11112222333?:root"}}"#),
            &[("aws:principalarn", &["arn:aws:iam::111122223333:root"])],
            A,
        ),
        c(
            "ArnLike: resource part with colons",
            allow_if!(r#"{"ArnLike":{"kms:EncryptionContext:aws:s3:arn":"arn:aws:s3:::bucket/*"}}"#),
            &[("kms:encryptioncontext:aws:s3:arn", &["arn:aws:s3:::bucket/a:b"])],
            A,
        ),
        c(
            "ArnEquals: a missing key fails",
            allow_if!(r#"{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:root"}}"#),
            &[],
            N,
        ),
        c(
            "ArnNotLike: a missing key holds",
            allow_if!(r#"{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}}"#),
            &[],
            A,
        ),
        c("Null: either listed value", allow_if!(r#"{"Null":{"kms:EncryptionContextKeys":["true","false"]}}"#), &[], A),
        c(
            "Null: an empty multivalued key counts as missing",
            allow_if!(r#"{"Null":{"aws:TagKeys":"true"}}"#),
            &[("aws:tagkeys", &[])],
            A,
        ),
        c(
            "Null on two keys: both must hold",
            allow_if!(r#"{"Null":{"kms:EncryptionContextKeys":"true","aws:TagKeys":"false"}}"#),
            &[],
            N,
        ),
        // --- More set operators
        c(
            "ForAllValues:StringLike: one value outside",
            allow_if!(r#"{"ForAllValues:StringLike":{"aws:TagKeys":"team-*"}}"#),
            &[("aws:tagkeys", &["team-a", "cost"])],
            N,
        ),
        c(
            "ForAllValues with an empty multivalued key holds",
            allow_if!(r#"{"ForAllValues:StringEquals":{"aws:TagKeys":"x"}}"#),
            &[("aws:tagkeys", &[])],
            A,
        ),
        c(
            "ForAnyValue with an empty multivalued key fails",
            allow_if!(r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":"x"}}"#),
            &[("aws:tagkeys", &[])],
            N,
        ),
        c(
            "ForAnyValue:StringEqualsIgnoreCase",
            allow_if!(r#"{"ForAnyValue:StringEqualsIgnoreCase":{"aws:TagKeys":"TEAM"}}"#),
            &[("aws:tagkeys", &["team"])],
            A,
        ),
        c(
            "ForAllValues:StringEqualsIfExists: missing holds",
            allow_if!(r#"{"ForAllValues:StringEqualsIfExists":{"aws:TagKeys":"x"}}"#),
            &[],
            A,
        ),
        c(
            "ForAnyValue:NumericLessThan",
            allow_if!(r#"{"ForAnyValue:NumericLessThan":{"kms:EncryptionContext:n":"10"}}"#),
            &[("kms:encryptioncontext:n", &["50", "5"])],
            A,
        ),
        c(
            "ForAllValues:NumericLessThan: one too big",
            allow_if!(r#"{"ForAllValues:NumericLessThan":{"kms:EncryptionContext:n":"10"}}"#),
            &[("kms:encryptioncontext:n", &["50", "5"])],
            N,
        ),
        c(
            "ForAnyValue:ArnLike",
            allow_if!(r#"{"ForAnyValue:ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}}"#),
            &[("aws:principalarn", &["arn:aws:iam::111122223333:role/x"])],
            A,
        ),
        c(
            "ForAllValues:StringNotLike: none match",
            allow_if!(r#"{"ForAllValues:StringNotLike":{"aws:TagKeys":"aws:*"}}"#),
            &[("aws:tagkeys", &["team", "cost"])],
            A,
        ),
        c(
            "ForAllValues:StringNotLike: one matches",
            allow_if!(r#"{"ForAllValues:StringNotLike":{"aws:TagKeys":"aws:*"}}"#),
            &[("aws:tagkeys", &["team", "aws:x"])],
            N,
        ),
        // --- Deny statements with conditions (common guard rails)
        c(
            "Deny without TLS: plain HTTP is denied",
            r#"{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#,
            &[("aws:securetransport", &["false"])],
            D,
        ),
        c(
            "Deny without TLS: TLS is not denied",
            r#"{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#,
            &[("aws:securetransport", &["true"])],
            N,
        ),
        c(
            "Deny outside a network spares no one outside",
            r#"{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}"#,
            &[("aws:sourceip", &["203.0.113.9"])],
            N,
        ),
        c(
            "Deny other accounts with StringNotEquals",
            r#"{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringNotEquals":{"kms:CallerAccount":"111122223333"}}}"#,
            &[("kms:calleraccount", &["444455556666"])],
            D,
        ),
        c(
            "Deny other accounts spares the owner",
            r#"{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringNotEquals":{"kms:CallerAccount":"111122223333"}}}"#,
            &[("kms:calleraccount", &["111122223333"])],
            N,
        ),
        c(
            "Deny short deletion windows: Encrypt is another action",
            r#"{"Effect":"Deny","Principal":"*","Action":"kms:ScheduleKeyDeletion","Resource":"*","Condition":{"NumericLessThan":{"kms:ScheduleKeyDeletionPendingWindowInDays":"30"}}}"#,
            &[("kms:schedulekeydeletionpendingwindowindays", &["7"])],
            N,
        ),
        c(
            "Deny encryption without context",
            r#"{"Effect":"Deny","Principal":"*","Action":"kms:Encrypt","Resource":"*","Condition":{"Null":{"kms:EncryptionContextKeys":"true"}}}"#,
            &[],
            D,
        ),
        c(
            "Deny encryption without context spares a request with one",
            r#"{"Effect":"Deny","Principal":"*","Action":"kms:Encrypt","Resource":"*","Condition":{"Null":{"kms:EncryptionContextKeys":"true"}}}"#,
            &[("kms:encryptioncontextkeys", &["a"])],
            N,
        ),
        // --- Statement shapes and Version (IAM JSON policy elements)
        c("the default key policy statement allows the account root", ALLOW_ROOT, &[], A),
        act(
            "an Action list with a wildcard member",
            r#"{"Effect":"Allow","Principal":"*","Action":["kms:Describe*","kms:Encrypt"],"Resource":"*"}"#,
            "kms:DescribeKey",
            A,
        ),
        act(
            "an Action list without the action",
            r#"{"Effect":"Allow","Principal":"*","Action":["kms:Describe*","kms:Encrypt"],"Resource":"*"}"#,
            "kms:Decrypt",
            N,
        ),
        act(
            "NotAction list with wildcards spares listed families",
            r#"{"Effect":"Deny","Principal":"*","NotAction":["kms:Describe*","kms:List*","kms:Get*"],"Resource":"*"}"#,
            "kms:ListAliases",
            N,
        ),
        act(
            "NotAction list with wildcards denies the rest",
            r#"{"Effect":"Deny","Principal":"*","NotAction":["kms:Describe*","kms:List*","kms:Get*"],"Resource":"*"}"#,
            "kms:PutKeyPolicy",
            D,
        ),
        act(
            "key administrators: CreateGrant not included",
            r#"{"Effect":"Allow","Principal":"*","Action":["kms:Create*","kms:Describe*","kms:Enable*","kms:List*","kms:Put*","kms:Update*","kms:Revoke*","kms:Disable*","kms:Get*","kms:Delete*","kms:TagResource","kms:UntagResource","kms:ScheduleKeyDeletion","kms:CancelKeyDeletion"],"Resource":"*"}"#,
            "kms:Encrypt",
            N,
        ),
        act(
            "key administrators: PutKeyPolicy included",
            r#"{"Effect":"Allow","Principal":"*","Action":["kms:Create*","kms:Describe*","kms:Enable*","kms:List*","kms:Put*","kms:Update*","kms:Revoke*","kms:Disable*","kms:Get*","kms:Delete*","kms:TagResource","kms:UntagResource","kms:ScheduleKeyDeletion","kms:CancelKeyDeletion"],"Resource":"*"}"#,
            "kms:PutKeyPolicy",
            A,
        ),
        act(
            "key users: GenerateDataKey* covers WithoutPlaintext",
            r#"{"Effect":"Allow","Principal":"*","Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*"}"#,
            "kms:GenerateDataKeyWithoutPlaintext",
            A,
        ),
        act(
            "key users: ReEncrypt* covers ReEncryptTo",
            r#"{"Effect":"Allow","Principal":"*","Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*"}"#,
            "kms:ReEncryptTo",
            A,
        ),
        act(
            "key users: not ScheduleKeyDeletion",
            r#"{"Effect":"Allow","Principal":"*","Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*"}"#,
            "kms:ScheduleKeyDeletion",
            N,
        ),
        // --- The grant statement of the default console policy
        c(
            "grant for AWS resources: true holds",
            allow_if!(r#"{"Bool":{"kms:GrantIsForAWSResource":"true"}}"#),
            &[("kms:grantisforawsresource", &["true"])],
            A,
        ),
        c(
            "grant for AWS resources: false fails",
            allow_if!(r#"{"Bool":{"kms:GrantIsForAWSResource":"true"}}"#),
            &[("kms:grantisforawsresource", &["false"])],
            N,
        ),
        c(
            "GranteePrincipal must be in the account",
            allow_if!(r#"{"StringLike":{"kms:GranteePrincipal":"arn:aws:iam::111122223333:*"}}"#),
            &[("kms:granteeprincipal", &["arn:aws:iam::444455556666:root"])],
            N,
        ),
        c(
            "RetiringPrincipal IfExists when absent",
            allow_if!(r#"{"StringEqualsIfExists":{"kms:RetiringPrincipal":"arn:aws:iam::111122223333:root"}}"#),
            &[],
            A,
        ),
        c(
            "GrantOperations ForAnyValue finds CreateGrant",
            allow_if!(r#"{"ForAnyValue:StringEquals":{"kms:GrantOperations":"CreateGrant"}}"#),
            &[("kms:grantoperations", &["Decrypt", "CreateGrant"])],
            A,
        ),
        c(
            "GrantOperations ForAnyValue without CreateGrant",
            allow_if!(r#"{"ForAnyValue:StringEquals":{"kms:GrantOperations":"CreateGrant"}}"#),
            &[("kms:grantoperations", &["Decrypt"])],
            N,
        ),
        // --- Encryption context conditions (KMS Developer Guide, kms:EncryptionContext)
        c(
            "two context pairs required: both present",
            allow_if!(r#"{"StringEquals":{"kms:EncryptionContext:a":"1","kms:EncryptionContext:b":"2"}}"#),
            &[("kms:encryptioncontext:a", &["1"]), ("kms:encryptioncontext:b", &["2"])],
            A,
        ),
        c(
            "two context pairs required: one value wrong",
            allow_if!(r#"{"StringEquals":{"kms:EncryptionContext:a":"1","kms:EncryptionContext:b":"2"}}"#),
            &[("kms:encryptioncontext:a", &["1"]), ("kms:encryptioncontext:b", &["3"])],
            N,
        ),
        c(
            "only allowed context keys: ForAllValues holds",
            allow_if!(r#"{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["a","b"]}}"#),
            &[("kms:encryptioncontextkeys", &["b"])],
            A,
        ),
        c(
            "required context key: ForAnyValue fails without it",
            allow_if!(r#"{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":"tenant"}}"#),
            &[("kms:encryptioncontextkeys", &["a", "b"])],
            N,
        ),
        c(
            "context keys are case-sensitive values",
            allow_if!(r#"{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":"Tenant"}}"#),
            &[("kms:encryptioncontextkeys", &["tenant"])],
            N,
        ),
        c(
            "context value wildcard",
            allow_if!(r#"{"StringLike":{"kms:EncryptionContext:path":"/data/*"}}"#),
            &[("kms:encryptioncontext:path", &["/data/x/y"])],
            A,
        ),
        c(
            "context value wildcard: other prefix",
            allow_if!(r#"{"StringLike":{"kms:EncryptionContext:path":"/data/*"}}"#),
            &[("kms:encryptioncontext:path", &["/etc/x"])],
            N,
        ),
        c(
            "context value with a principal variable",
            allow_if!(r#"{"StringEquals":{"kms:EncryptionContext:account":"${aws:PrincipalAccount}"}}"#),
            &[("kms:encryptioncontext:account", &["111122223333"]), ("aws:principalaccount", &["111122223333"])],
            A,
        ),
        c(
            "context value with a principal variable of another account",
            allow_if!(r#"{"StringEquals":{"kms:EncryptionContext:account":"${aws:PrincipalAccount}"}}"#),
            &[("kms:encryptioncontext:account", &["444455556666"]), ("aws:principalaccount", &["111122223333"])],
            N,
        ),
        // --- Algorithm and spec keys
        c(
            "EncryptionAlgorithm: RSAES only",
            allow_if!(r#"{"StringLike":{"kms:EncryptionAlgorithm":"RSAES_*"}}"#),
            &[("kms:encryptionalgorithm", &["SYMMETRIC_DEFAULT"])],
            N,
        ),
        c(
            "SigningAlgorithm in a list",
            allow_if!(r#"{"StringEquals":{"kms:SigningAlgorithm":["ECDSA_SHA_256","ECDSA_SHA_384"]}}"#),
            &[("kms:signingalgorithm", &["ECDSA_SHA_384"])],
            A,
        ),
        c(
            "MessageType DIGEST denied by StringNotEquals",
            allow_if!(r#"{"StringNotEquals":{"kms:MessageType":"DIGEST"}}"#),
            &[("kms:messagetype", &["DIGEST"])],
            N,
        ),
        c(
            "KeySpec ML-DSA family",
            allow_if!(r#"{"StringLike":{"kms:KeySpec":"ML_DSA_*"}}"#),
            &[("kms:keyspec", &["ML_DSA_65"])],
            A,
        ),
        c(
            "KeyOrigin AWS_KMS not EXTERNAL",
            allow_if!(r#"{"StringEquals":{"kms:KeyOrigin":"AWS_KMS"}}"#),
            &[("kms:keyorigin", &["EXTERNAL"])],
            N,
        ),
        c(
            "DataKeyPairSpec RSA only",
            allow_if!(r#"{"StringLike":{"kms:DataKeyPairSpec":"RSA_*"}}"#),
            &[("kms:datakeypairspec", &["ECC_NIST_P256"])],
            N,
        ),
        c(
            "KeyAgreementAlgorithm ECDH",
            allow_if!(r#"{"StringEquals":{"kms:KeyAgreementAlgorithm":"ECDH"}}"#),
            &[("kms:keyagreementalgorithm", &["ECDH"])],
            A,
        ),
        c(
            "RotationPeriodInDays at least 180",
            allow_if!(r#"{"NumericGreaterThanEquals":{"kms:RotationPeriodInDays":"180"}}"#),
            &[("kms:rotationperiodindays", &["365"])],
            A,
        ),
        c(
            "RequestAlias exact alias",
            allow_if!(r#"{"StringEquals":{"kms:RequestAlias":"alias/prod"}}"#),
            &[("kms:requestalias", &["alias/prod"])],
            A,
        ),
        c(
            "RequestAlias absent when the key is named by id",
            allow_if!(r#"{"StringEquals":{"kms:RequestAlias":"alias/prod"}}"#),
            &[],
            N,
        ),
        // --- Tags and time
        c(
            "ResourceTag with a variable from PrincipalTag",
            allow_if!(r#"{"StringEquals":{"aws:ResourceTag/project":"${aws:PrincipalTag/project}"}}"#),
            &[("aws:resourcetag/project", &["x"]), ("aws:principaltag/project", &["y"])],
            N,
        ),
        c(
            "ResourceTag key names are case-insensitive",
            allow_if!(r#"{"StringEquals":{"aws:ResourceTag/ENV":"prod"}}"#),
            &[("aws:resourcetag/env", &["prod"])],
            A,
        ),
        c(
            "ResourceTag missing fails StringEquals",
            allow_if!(r#"{"StringEquals":{"aws:ResourceTag/env":"prod"}}"#),
            &[],
            N,
        ),
        c(
            "EpochTime window: inside",
            allow_if!(
                r#"{"NumericGreaterThan":{"aws:EpochTime":"1700000000"},"NumericLessThan":{"aws:EpochTime":"1900000000"}}"#
            ),
            &[("aws:epochtime", &["1796114400"])],
            A,
        ),
        c(
            "EpochTime window: after",
            allow_if!(
                r#"{"NumericGreaterThan":{"aws:EpochTime":"1700000000"},"NumericLessThan":{"aws:EpochTime":"1790000000"}}"#
            ),
            &[("aws:epochtime", &["1796114400"])],
            N,
        ),
        c(
            "CurrentTime window with dates",
            allow_if!(
                r#"{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}"#
            ),
            &[("aws:currenttime", &["2026-12-01T10:00:00Z"])],
            A,
        ),
        // --- Principal-describing keys
        c(
            "PrincipalArn of a root",
            allow_if!(r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}"#),
            &[("aws:principalarn", &["arn:aws:iam::111122223333:root"])],
            A,
        ),
        c(
            "PrincipalType Account, not User",
            allow_if!(r#"{"StringEquals":{"aws:PrincipalType":"User"}}"#),
            &[("aws:principaltype", &["Account"])],
            N,
        ),
        c(
            "userid of a root is the account id",
            allow_if!(r#"{"StringEquals":{"aws:userid":"111122223333"}}"#),
            &[("aws:userid", &["111122223333"])],
            A,
        ),
        c(
            "username absent for a root: IfExists holds",
            allow_if!(r#"{"StringEqualsIfExists":{"aws:username":"alice"}}"#),
            &[],
            A,
        ),
        c(
            "CallerAccount list",
            allow_if!(r#"{"StringEquals":{"kms:CallerAccount":["111122223333","444455556666"]}}"#),
            &[("kms:calleraccount", &["444455556666"])],
            A,
        ),
        c(
            "SourceIp of a loopback caller",
            allow_if!(r#"{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}"#),
            &[("aws:sourceip", &["127.0.0.1"])],
            A,
        ),
        c(
            "SourceIp IPv6 loopback",
            allow_if!(r#"{"IpAddress":{"aws:SourceIp":"::1/128"}}"#),
            &[("aws:sourceip", &["::1"])],
            A,
        ),
        c(
            "SecureTransport false over plain HTTP",
            allow_if!(r#"{"Bool":{"aws:SecureTransport":"false"}}"#),
            &[("aws:securetransport", &["false"])],
            A,
        ),
        c(
            "ReEncryptOnSameKey false allows moving keys",
            allow_if!(r#"{"Bool":{"kms:ReEncryptOnSameKey":"false"}}"#),
            &[("kms:reencryptonsamekey", &["false"])],
            A,
        ),
        c(
            "ResourceAliases ForAllValues with one alias outside",
            allow_if!(r#"{"ForAllValues:StringLike":{"kms:ResourceAliases":"alias/finance-*"}}"#),
            &[("kms:resourcealiases", &["alias/finance-a", "alias/hr"])],
            N,
        ),
    ]
}

fn request<'a>(case: &'a Case, context: &'a HashMap<String, Vec<String>>) -> Request<'a> {
    let (principal_arn, principal_account) = case.principal.unwrap_or((ROOT, ACCOUNT));
    Request { principal_arn, principal_account, action: case.action, resource: KEY, context }
}

fn context_of(pairs: &[(&str, &[&str])]) -> HashMap<String, Vec<String>> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), v.iter().map(|s| (*s).to_owned()).collect())).collect()
}

#[test]
fn evaluation_table() {
    let cases = cases();
    let mut failures = Vec::new();
    for case in &cases {
        let doc = format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, case.statement);
        let policy = match Policy::parse(&doc, PolicyKind::Key) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{}: does not parse: {}", case.rule, e.0));
                continue;
            }
        };
        let ctx = context_of(case.context);
        let got = policy.evaluate(&request(case, &ctx));
        if got != case.expect {
            failures.push(format!("{}: expected {:?}, got {got:?}", case.rule, case.expect));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases fail:\n{}", failures.len(), cases.len(), failures.join("\n"));
    println!("{} policy evaluation cases", cases.len());
    assert!(cases.len() >= 300, "{}", cases.len());
}

#[test]
fn explicit_deny_wins_over_any_allow() {
    let doc = format!(
        r#"{{"Statement":[{ALLOW_ROOT},{{"Effect":"Deny","Principal":"*","Action":"kms:Encrypt","Resource":"*"}}]}}"#
    );
    let p = Policy::parse(&doc, PolicyKind::Key).unwrap();
    let ctx = HashMap::new();
    let case = c("", "", &[], A);
    assert_eq!(p.evaluate(&request(&case, &ctx)), D);
    assert_eq!(combine([A, N, A]), A);
    assert_eq!(combine([A, D, A]), D);
    assert_eq!(combine([N, N]), N);
    assert_eq!(combine([]), N);
}

/// (the document, the message AWS-style refusal must contain)
const REFUSED: &[(&str, &str)] = &[
    ("not json", "not a valid JSON document"),
    ("[]", "not a valid JSON document"),
    (r#"{"Version":"2012-10-17"}"#, "at least one Statement"),
    (r#"{"Statement":[]}"#, "at least one Statement"),
    (r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*"}],"Extra":1}"#, "unknown element: Extra"),
    (r#"{"Version":"2020-01-01","Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*"}}"#, "Version"),
    (r#"{"Statement":{"Effect":"Permit","Principal":"*","Action":"kms:*"}}"#, "Effect"),
    (r#"{"Statement":{"Effect":"Allow","Action":"kms:*"}}"#, "no principal"),
    (r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"kms:*"}}"#, "invalid principals"),
    (
        r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::12345:root"},"Action":"kms:*"}}"#,
        "invalid principals",
    ),
    (r#"{"Statement":{"Effect":"Allow","Principal":{"Users":"x"},"Action":"kms:*"}}"#, "invalid principals"),
    (
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","NotAction":"kms:Decrypt"}}"#,
        "exactly one of Action or NotAction",
    ),
    (r#"{"Statement":{"Effect":"Allow","Principal":"*"}}"#, "exactly one of Action or NotAction"),
    (r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"Encrypt"}}"#, "invalid action"),
    (r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":[]}}"#, "Action"),
    (r#"{"Statement":{"Effect":"Allow","NotPrincipal":"*","Action":"kms:*"}}"#, "NotPrincipal"),
    (
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{"StringEqualz":{"kms:A":"b"}}}}"#,
        "invalid condition operator",
    ),
    (
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{"NullIfExists":{"kms:A":"true"}}}}"#,
        "invalid condition operator",
    ),
    (
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{"Null":{"kms:A":"maybe"}}}}"#,
        "true or false",
    ),
    (
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{"StringEquals":{"nocolon":"b"}}}}"#,
        "invalid condition key",
    ),
    (
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{"StringEquals":{"kms:A":{}}}}}"#,
        "invalid value",
    ),
    (
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{"StringEquals":{"kms:A":[]}}}}"#,
        "invalid value",
    ),
    (r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Bogus":1}}"#, "unknown element: Bogus"),
    (
        r#"{"Statement":[{"Sid":"a","Effect":"Allow","Principal":"*","Action":"kms:*"},{"Sid":"a","Effect":"Allow","Principal":"*","Action":"kms:*"}]}"#,
        "duplicate Sid",
    ),
];

#[test]
fn malformed_documents_are_refused_with_a_reason() {
    for (doc, msg) in REFUSED {
        match Policy::parse(doc, PolicyKind::Key) {
            Ok(_) => panic!("accepted: {doc}"),
            Err(e) => assert!(e.0.contains(msg), "{doc}: {}", e.0),
        }
    }
    let big = format!(
        r#"{{"Statement":{{"Sid":"{}","Effect":"Allow","Principal":"*","Action":"kms:*"}}}}"#,
        "x".repeat(MAX_POLICY_BYTES)
    );
    assert!(Policy::parse(&big, PolicyKind::Key).unwrap_err().0.contains("longer than"));
    // Identity policies take no Principal and need a Resource.
    assert!(Policy::parse(r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}"#, PolicyKind::Identity)
        .is_ok());
    assert!(Policy::parse(
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}}"#,
        PolicyKind::Identity
    )
    .is_err());
    assert!(Policy::parse(r#"{"Statement":{"Effect":"Allow","Action":"kms:*"}}"#, PolicyKind::Identity).is_err());
}

#[test]
fn lockout_check_sees_unconditional_put_key_policy() {
    let ok = Policy::parse(&format!(r#"{{"Statement":{ALLOW_ROOT}}}"#), PolicyKind::Key).unwrap();
    assert!(ok.allows_unconditionally(ROOT, ACCOUNT, "kms:PutKeyPolicy", KEY));
    let only_use = Policy::parse(
        r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}}"#,
        PolicyKind::Key,
    )
    .unwrap();
    assert!(!only_use.allows_unconditionally(ROOT, ACCOUNT, "kms:PutKeyPolicy", KEY));
    let conditional = Policy::parse(allow_if_doc().as_str(), PolicyKind::Key).unwrap();
    assert!(!conditional.allows_unconditionally(ROOT, ACCOUNT, "kms:PutKeyPolicy", KEY));
}

fn allow_if_doc() -> String {
    format!(r#"{{"Statement":{}}}"#, allow_if!(r#"{"Bool":{"aws:SecureTransport":"true"}}"#))
}

// --- Properties, over every statement of the table and every request in it.

/// A small deterministic generator (xorshift) so the properties are
/// reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 as usize
    }
}

fn doc(statements: &[&str]) -> Policy {
    let text = format!(r#"{{"Statement":[{}]}}"#, statements.join(","));
    Policy::parse(&text, PolicyKind::Key).unwrap()
}

/// Order of the decisions: Deny < NotApplicable < Allow (how much access).
fn access(d: Decision) -> u8 {
    match d {
        D => 0,
        N => 1,
        A => 2,
    }
}

#[test]
fn adding_a_deny_never_widens_adding_an_allow_never_narrows_and_order_never_matters() {
    let cases = cases();
    let statements: Vec<&str> = cases.iter().map(|c| c.statement).collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..400 {
        let n = 1 + rng.next() % 4;
        let picked: Vec<&str> = (0..n).map(|_| statements[rng.next() % statements.len()]).collect();
        let base = doc(&picked);
        let extra = statements[rng.next() % statements.len()];
        let as_deny = extra.replace(r#""Effect":"Allow""#, r#""Effect":"Deny""#);
        // NotPrincipal is Deny-only; such a statement cannot become an Allow.
        let as_allow = if extra.contains("NotPrincipal") {
            ALLOW_ROOT.to_owned()
        } else {
            extra.replace(r#""Effect":"Deny""#, r#""Effect":"Allow""#)
        };
        let mut with_deny = picked.clone();
        with_deny.push(&as_deny);
        let mut with_allow = picked.clone();
        with_allow.push(&as_allow);
        let mut shuffled = picked.clone();
        shuffled.reverse();
        let turn = rng.next() % shuffled.len();
        shuffled.rotate_left(turn);
        let (with_deny, with_allow, shuffled) = (doc(&with_deny), doc(&with_allow), doc(&shuffled));
        for case in cases.iter().step_by(7) {
            let ctx = context_of(case.context);
            let req = request(case, &ctx);
            let before = base.evaluate(&req);
            assert!(
                access(with_deny.evaluate(&req)) <= access(before),
                "a Deny widened access: {picked:?} + {as_deny}"
            );
            assert!(
                access(with_allow.evaluate(&req)) >= access(before),
                "an Allow narrowed access: {picked:?} + {as_allow}"
            );
            assert_eq!(shuffled.evaluate(&req), before, "order mattered: {picked:?}");
        }
    }
}
