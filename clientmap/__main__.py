from clientmap.cli import main

main()
