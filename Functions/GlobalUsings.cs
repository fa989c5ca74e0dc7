// Namespaces nearly every file of the app uses: the Functions worker and Durable Task programming models, the
// Microsoft.Extensions hosting primitives (as an ASP.NET Core project imports them implicitly) and the world model,
// the bottom layer every feature builds on. Feature namespaces stay explicit: a file's usings show what it depends on.
global using Cordon.World;
global using Microsoft.AspNetCore.Http;
global using Microsoft.Azure.Functions.Worker;
global using Microsoft.DurableTask;
global using Microsoft.DurableTask.Client;
global using Microsoft.Extensions.Configuration;
global using Microsoft.Extensions.DependencyInjection;
global using Microsoft.Extensions.Logging;
global using Microsoft.Extensions.Options;
