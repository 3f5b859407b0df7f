// Serves the .cmps files of one folder over HTTP with byte ranges and layer prefixes (see ../README.md):
//
//   dotnet run --project samples/Serving/Server -- <folder> [--urls http://127.0.0.1:5080]
//
//   GET /images/{name}             the whole file; Range requests give 206 (ETag, Accept-Ranges, If-Range)
//   GET /images/{name}?layers=k    only the header and the first k layers (itself range-capable)
using Compass.Samples.Serving;

if (args.Length < 1 || args[0].StartsWith('-'))
{
    Console.Error.WriteLine("usage: Server <folder of .cmps files> [--urls http://127.0.0.1:5080]");
    return 2;
}
var app = ImageServer.Create(args[0], args[1..]);
await app.RunAsync();
return 0;
