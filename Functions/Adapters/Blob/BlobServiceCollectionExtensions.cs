using Azure.Core;
using Azure.Storage.Blobs;
using Cordon.Evidence;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Cordon.Adapters.Blob;

public static class BlobServiceCollectionExtensions
{
    /// <summary>
    /// Evidence on Azure Blob storage: binds <see cref="BlobEvidenceOptions"/> from <c>Cordon:Evidence</c>
    /// (validated at start-up, naming the setting) and registers <see cref="IEvidenceStore"/> →
    /// <see cref="BlobEvidenceStore"/> on the managed identity (the host's <see cref="TokenCredential"/>,
    /// else DefaultAzureCredential), replacing any local store.
    /// </summary>
    public static IServiceCollection AddCordonBlobEvidence(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddSelfValidatingOptions<BlobEvidenceOptions>(configuration.GetSection(BlobEvidenceOptions.Section));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddCordonAzureCredential(configuration);

        services.RemoveAll<IEvidenceStore>();
        services.TryAddSingleton(sp =>
        {
            BlobEvidenceOptions o = sp.GetRequiredService<IOptions<BlobEvidenceOptions>>().Value;
            var account = new BlobServiceClient(new Uri(o.BlobServiceUri!), sp.GetRequiredService<TokenCredential>());
            return new BlobEvidenceStore(account.GetBlobContainerClient(o.Container), sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<BlobEvidenceStore>>());
        });
        services.AddSingleton<IEvidenceStore>(sp => sp.GetRequiredService<BlobEvidenceStore>());
        return services;
    }
}
