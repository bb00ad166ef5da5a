//! Evaluation cases: Guard rails, statement shapes, and the KMS and global condition keys.

use super::*;

pub(super) fn cases() -> Vec<Case> {
    vec![
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
