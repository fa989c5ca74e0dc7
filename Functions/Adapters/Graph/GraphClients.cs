using Azure.Core;
using Microsoft.Graph;
using Microsoft.Graph.Authentication;
using RetryHandler = Microsoft.Kiota.Http.HttpClientLibrary.Middleware.RetryHandler;

namespace Cordon.Adapters.Graph;

/// <summary>Builds the <see cref="GraphServiceClient"/> Cordon uses, in Azure and in the wire tests alike.</summary>
public static class GraphClients
{
    /// <summary>
    /// A client on the SDK's default middleware (auth, telemetry, redirects, query-name decoding,
    /// header inspection) <b>without</b> its RetryHandler: <see cref="GraphAccessControl"/> owns retries
    /// (Retry-After, back-off, per-item retry inside $batch, on an injectable clock), and a second
    /// retry layer underneath would multiply waits and hide the requests actually spent.
    /// The bearer token is only ever attached for the configured Graph host.
    /// </summary>
    public static GraphServiceClient Create(TokenCredential credential, GraphOptions options, HttpMessageHandler? finalHandler = null)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(options);
        Uri baseUri = options.BaseUri;
        string scope = $"{baseUri.Scheme}://{baseUri.Authority}/.default";
        var auth = new AzureIdentityAuthenticationProvider(credential, [baseUri.Host], null, true, scope);

        IList<DelegatingHandler> handlers = GraphClientFactory.CreateDefaultHandlers();
        foreach (DelegatingHandler retry in handlers.Where(h => h is RetryHandler).ToList())
        {
            handlers.Remove(retry);
        }

        HttpClient http = GraphClientFactory.Create(handlers, finalHandler: finalHandler);
        http.Timeout = options.RequestTimeout;
        return new GraphServiceClient(http, auth, baseUri.ToString().TrimEnd('/'));
    }
}
