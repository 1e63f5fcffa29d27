//! The list of dialects: ONE line each. A line names the id's variant, its name on the
//! command line and in reports, and the value that implements it (a path inside
//! `crate::providers`, resolved only there).
//!
//! The list is handed to a macro, so that the id (in [`crate::id`], at the bottom of the
//! layers) and the lookup of the implementation (in [`crate::providers`]) are both made from
//! it without the id's layer naming the providers.

/// Call `$m!` with the registry.
macro_rules! registry {
    ($m:ident) => {
        $m! {
            Canonical = "canonical" => canonical::Canonical,
            GcoreV1 = "gcore-v1" => gcore::Gcore::V1,
            GcoreV2 = "gcore-v2" => gcore::Gcore::V2,
            Huawei = "huawei" => huawei::Huawei,
            Scaleway = "scaleway" => scaleway::Scaleway,
            AwsEc2 = "aws-ec2" => aws_ec2::AwsEc2,
        }
    };
}

pub(crate) use registry;
