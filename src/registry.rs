//! The list of dialects: ONE line per provider module, naming the module and, for each
//! dialect it implements, the id's variant, its name on the command line and in reports, and
//! the value that implements it (a path inside `crate::providers`, resolved only there).
//!
//! The list is handed to a macro, so that the id (in [`crate::id`], at the bottom of the
//! layers), the module declarations and the lookup of the implementation (in
//! [`crate::providers`]) are all made from it without the id's layer naming the providers.

/// Call `$m!` with the registry.
macro_rules! registry {
    ($m:ident) => {
        $m! {
            canonical { Canonical = "canonical" => canonical::Canonical },
            gcore { GcoreV1 = "gcore-v1" => gcore::Gcore::V1, GcoreV2 = "gcore-v2" => gcore::Gcore::V2 },
            huawei { Huawei = "huawei" => huawei::Huawei },
            scaleway { Scaleway = "scaleway" => scaleway::Scaleway },
            aws_ec2 { AwsEc2 = "aws-ec2" => aws_ec2::AwsEc2 },
            openstack { OpenStack = "openstack" => openstack::OpenStack },
            azure_nsg { AzureNsg = "azure-nsg" => azure_nsg::AzureNsg },
        }
    };
}

pub(crate) use registry;
