namespace Cordon.Adapters.Tables;

/// <summary>
/// Settings of the Table Storage site register, section <c>Cordon:SiteRegister</c>. Without
/// <see cref="TableServiceUri"/> the Function App's own storage account is used
/// (<c>AzureWebJobsStorage__accountName</c>, where the identity already has Storage Table Data Contributor).
/// </summary>
public sealed class TableSiteRegisterOptions : ISelfValidatingOptions
{
    public const string Section = "Cordon:SiteRegister";

    /// <summary>Table endpoint, e.g. <c>https://stfnxxxx.table.core.windows.net/</c>.</summary>
    public string? TableServiceUri { get; set; }

    /// <summary>Table of confirmed insiders per site.</summary>
    public string Table { get; set; } = "CordonSiteRegister";

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(TableServiceUri))
        {
            problems.Add($"{Section}:TableServiceUri is missing and AzureWebJobsStorage__accountName is not set: set the table endpoint (app setting Cordon__SiteRegister__TableServiceUri).");
        }
        else if (!Uri.TryCreate(TableServiceUri, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttps && !uri.IsLoopback))
        {
            problems.Add($"{Section}:TableServiceUri '{TableServiceUri}' must be an absolute https URL (loopback http only for Azurite).");
        }

        if (Table.Length is < 3 or > 63 || !char.IsAsciiLetter(Table[0]) || !Table.All(char.IsAsciiLetterOrDigit))
        {
            problems.Add($"{Section}:Table '{Table}' is not a valid table name (3-63 letters and digits, starting with a letter).");
        }

        return problems;
    }
}
