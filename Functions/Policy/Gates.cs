namespace Cordon.Policy;

/// <summary>
/// The names of the human approval gates, named once. A gate's name is its key in the response policy
/// (<see cref="ResponsePolicy.Confirm"/>, …), in approval links and in stored histories: never change a value.
/// </summary>
public static class Gates
{
    /// <summary>Confirm the insider incident, or reject it as a false positive.</summary>
    public const string Confirm = "confirm";

    /// <summary>Approve the notice to the affected clients.</summary>
    public const string Notify = "notify";

    /// <summary>Approve offboarding the vendor site (the policy requires two distinct approvers).</summary>
    public const string VendorOffboarding = "vendorOffboarding";
}
