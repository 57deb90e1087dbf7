// The `tessera` command.

return Tessera.Cli.TesseraCommand.Run(args, Console.Out, Console.Error);
