using Cordon.Adapters;
using Cordon;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

// The Azure Functions host: the same workflow as Functions.Local, with the Azure connectors.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.UseMiddleware<Cordon.Alerts.AnswerStoreUnavailable>(); // the store not answering is a 503 with Retry-After, not a 500
builder.Services.AddCordonWorkflow(builder.Configuration);
builder.Services.AddCordonBehaviour(builder.Configuration);
builder.Services.AddCordonAzureConnectors(builder.Configuration);
builder.Build().Run();
