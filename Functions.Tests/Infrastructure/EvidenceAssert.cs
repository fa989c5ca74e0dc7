using Cordon.Evidence;

namespace Cordon.Tests;

/// <summary>What every tampering test asserts of `evidence verify`: it fails, naming what does not match and why.</summary>
public static class EvidenceAssert
{
    public static void Fails(EvidenceVerification result, string firstMismatch, string? detail = null)
    {
        Assert.False(result.Ok, $"verification passed: {result.Detail}");
        Assert.Equal(firstMismatch, result.FirstMismatch);
        if (detail is not null)
        {
            Assert.Contains(detail, result.Detail, StringComparison.Ordinal);
        }
    }
}
