// Exits at once with the code given as the first argument (3 by default), as a service with a broken configuration would.
var code = args.Length > 0 && int.TryParse(args[0], out var c) ? c : 3;
if (code != 0)
{
    await Console.Error.WriteLineAsync("Unhandled exception: the configuration value 'Crash:Reason' says this service cannot start.");
}
else
{
    Console.WriteLine("migrations applied");
}

return code;
