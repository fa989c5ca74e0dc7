namespace Cordon.Offboarding;

public sealed record ConfirmedInsider(string IncidentId, string SiteId, string UserPrincipalName, DateTime ConfirmedAt, TimeSpan Window);

/// <summary>
/// One batch of a site's offboarding: round 0 takes slice <paramref name="Index"/> of <paramref name="Size"/> accounts of
/// the site's list as the offboarding's first batch found it, the last of <paramref name="Batches"/> the rest of that list;
/// a later round (after the directory throttled the one before) takes only <paramref name="Accounts"/>, the accounts that
/// round left.
/// </summary>
public sealed record SiteBatch(string IncidentId, string SiteId, int Index, int Size, int Round = 0, IReadOnlyList<string>? Accounts = null, int? Batches = null);

public sealed record VendorNotice(string IncidentId, string VendorId, string VendorName, string SiteId, string SiteName, IReadOnlyList<string> Contacts, int AccountsRevoked);

/// <summary>
/// Confirmed insiders per site, the input of the vendor-offboarding trigger. Keyed state outside the
/// orchestrations (the local Durable Task backend has no entities): a file locally, Table storage in Azure.
/// </summary>
public interface ISiteRegister
{
    /// <summary>Records the insider (idempotent per incident) and returns the confirmed insiders at the site within the window.</summary>
    Task<int> RecordAsync(ConfirmedInsider insider, CancellationToken cancellationToken);
}
