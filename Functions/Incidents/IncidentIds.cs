using System.Security.Cryptography;
using System.Text;

namespace Cordon.Incidents;

/// <summary>
/// Incident ids derive from the subject: inc-{subject hash}-{n}. With no entities on the local
/// backend, the n-th incident's id doubles as the lock that keeps one open incident per subject:
/// the backend refuses a second instance with the same id, whoever tries first wins.
/// </summary>
public static class IncidentIds
{
    public const string Prefix = "inc-";

    public static string SubjectPrefix(string userPrincipalName) =>
        Prefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Cordon.World.SubjectIdentity.Canonical(userPrincipalName))))[..12] + "-";

    public static string For(string userPrincipalName, int sequence) => SubjectPrefix(userPrincipalName) + sequence.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static bool LooksValid(string? id) =>
        id is { Length: > 4 and < 64 } && id.StartsWith(Prefix, StringComparison.Ordinal) && id.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
}

/// <summary>The orchestrator new incidents start on; older names stay registered for running incidents.</summary>
public static class IncidentWorkflow
{
    public const string Current = nameof(RespondToIncidentV2);
}
