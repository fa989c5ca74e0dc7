namespace Cordon.World;

/// <summary>The Function App's own storage account (identity-based <c>AzureWebJobsStorage__accountName</c>).</summary>
public static class HostStorage
{
    /// <summary>
    /// The Table endpoint of the Function App's storage account, where Cordon's tables live unless a setting names
    /// another; null when the account is not configured that way.
    /// </summary>
    public static string? TableServiceUri(IConfiguration configuration) =>
        configuration["AzureWebJobsStorage:accountName"] is { } account && !string.IsNullOrWhiteSpace(account)
            ? $"https://{account}.table.core.windows.net/"
            : null;
}
