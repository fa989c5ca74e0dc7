using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Cordon.Configuration;

/// <summary>One read of a configuration document: its text (null when it does not exist) and its version.</summary>
public sealed record DocumentRead(string? Content, string Version);

/// <summary>Where one configuration document (the world, the policy) is read from.</summary>
public abstract class ConfigurationDocument
{
    /// <summary>Names the document in logs, mails and the health report, e.g. the file path or blob URL.</summary>
    public abstract string Origin { get; }

    /// <summary>The document when its version differs from <paramref name="knownVersion"/>, else null.</summary>
    public abstract Task<DocumentRead?> ReadIfChangedAsync(string? knownVersion, CancellationToken cancellationToken);

    /// <summary>A short content hash: the version of a file or an inline setting.</summary>
    public static string Hash(string content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)))[..12];
}

/// <summary>A fixed document: an inline app setting, or none (the policy defaults).</summary>
public sealed class FixedDocument(string? content, string origin) : ConfigurationDocument
{
    readonly DocumentRead read = new(content, content is null ? "defaults" : Hash(content));

    public override string Origin => origin;

    public override Task<DocumentRead?> ReadIfChangedAsync(string? knownVersion, CancellationToken cancellationToken) =>
        Task.FromResult(knownVersion == read.Version ? null : read);
}

/// <summary>A local file, watched by polling: its timestamp and length first, its content hash when they moved.</summary>
public sealed class FileDocument(string path) : ConfigurationDocument
{
    (DateTime Written, long Length)? seen;
    string? seenVersion;

    public override string Origin => path;

    public override async Task<DocumentRead?> ReadIfChangedAsync(string? knownVersion, CancellationToken cancellationToken)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            seen = null;
            return knownVersion == "missing" ? null : new DocumentRead(null, "missing");
        }

        var stamp = (info.LastWriteTimeUtc, info.Length);
        if (seen == stamp && seenVersion == knownVersion)
        {
            return null;
        }

        string content = await File.ReadAllTextAsync(path, cancellationToken);
        string version = Hash(content);
        seen = stamp;
        seenVersion = version;
        return version == knownVersion ? null : new DocumentRead(content, version);
    }
}

/// <summary>A blob, read conditionally: If-None-Match with the known ETag answers 304 while it is unchanged.</summary>
public sealed class BlobDocument(BlobClient blob) : ConfigurationDocument
{
    public override string Origin => blob.Uri.GetLeftPart(UriPartial.Path);

    public override async Task<DocumentRead?> ReadIfChangedAsync(string? knownVersion, CancellationToken cancellationToken)
    {
        var options = new BlobDownloadOptions();
        if (knownVersion is not null && knownVersion != "missing")
        {
            options.Conditions = new BlobRequestConditions { IfNoneMatch = new ETag($"\"{knownVersion}\"") };
        }

        try
        {
            Response<BlobDownloadResult> response = await blob.DownloadContentAsync(options, cancellationToken);
            if (response.GetRawResponse().Status == 304)
            {
                return null;
            }

            string version = response.Value.Details.ETag.ToString().Trim('"');
            return version == knownVersion ? null : new DocumentRead(response.Value.Content.ToString(), version);
        }
        catch (RequestFailedException ex) when (ex.Status == 304)
        {
            return null;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return knownVersion == "missing" ? null : new DocumentRead(null, "missing");
        }
    }
}
